# cluster::MasterRunner against fake workers over loopback (helper "master", issue 13); the
# fixture is master_test_util.hpp.
loadgen_unit_test(cluster_master_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/master_runner_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/master_runner_workers_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/master_runner_stop_test.cpp
  DEPS loadgen_cluster loadgen_plan loadgen_stats loadgen_core)
