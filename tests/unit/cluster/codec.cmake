# The message codec (helper "codec"): gtest unit tests, and Locust's own Python (stats.py,
# rpc/protocol.py; python3-locust, python3-msgpack) against a small C++ encoder/decoder tool.
loadgen_unit_test(cluster_message_test SOURCES message_test.cpp DEPS loadgen_cluster)
target_include_directories(cluster_message_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})

add_executable(cluster_codec_tool codec_tool.cpp)
target_link_libraries(cluster_codec_tool PRIVATE loadgen_cluster loadgen_warnings)
set(_codec_python /usr/bin/python3)
if(NOT EXISTS ${_codec_python})
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  set(_codec_python ${Python3_EXECUTABLE})
endif()
add_test(NAME cluster.codec_locust
  COMMAND ${_codec_python} ${CMAKE_CURRENT_SOURCE_DIR}/codec_locust_check.py
          $<TARGET_FILE:cluster_codec_tool>)
set_tests_properties(cluster.codec_locust PROPERTIES LABELS unit TIMEOUT 60)
