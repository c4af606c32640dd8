# Helper "worker" (issue 13): the transport and the worker node.
loadgen_unit_test(cluster_transport_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/transport_test.cpp
  DEPS loadgen_cluster cppzmq)
loadgen_unit_test(cluster_worker_node_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/worker_node_test.cpp
  DEPS loadgen_cluster)
