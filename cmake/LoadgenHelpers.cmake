# One-line helpers for modules and test tiers.

# Warnings every target of ours gets.
add_library(loadgen_warnings INTERFACE)
target_compile_options(loadgen_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2
  # GCC 12 at -O3 reports std::string internals falsely (GCC PR 105329, 105651); with -Werror
  # these two would fail builds on library code we cannot change.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized -Wno-restrict>)
if(LOADGEN_WERROR)
  target_compile_options(loadgen_warnings INTERFACE -Werror)
endif()

if(LOADGEN_SANITIZE)
  add_compile_options(-fsanitize=${LOADGEN_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LOADGEN_SANITIZE})
endif()

# loadgen_module(NAME SOURCES... [DEPS ...]) → static library loadgen_NAME
function(loadgen_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(loadgen_${name} STATIC ${M_SOURCES})
  target_include_directories(loadgen_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(loadgen_${name} PUBLIC ${M_DEPS} PRIVATE loadgen_warnings ${M_PRIVATE_DEPS})
endfunction()

# loadgen_unit_test(NAME SOURCES... DEPS ...) → gtest binary, discovered, label "unit"
function(loadgen_unit_test name)
  cmake_parse_arguments(T "" "TIMEOUT;LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main loadgen_warnings)
  gtest_discover_tests(${name} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 30)
endfunction()

# loadgen_fuzz_test(NAME SOURCE DEPS ...) → with LOADGEN_FUZZ a libFuzzer binary;
# always a replay binary that runs every file of tests/fuzz/corpus/NAME as a test.
function(loadgen_fuzz_test name)
  cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
  target_link_libraries(${name}_replay PRIVATE ${F_DEPS} loadgen_warnings)
  add_test(NAME fuzz_replay.${name}
    COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
  if(LOADGEN_FUZZ)
    add_executable(${name}_fuzzer ${F_SOURCES})
    target_compile_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name}_fuzzer PRIVATE ${F_DEPS})
  endif()
endfunction()
