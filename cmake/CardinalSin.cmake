# Build helpers shared by every module (STYLE.md section 2).
#
#   cs_add_module(<name> SRCS ... DEPS ...)   one static library cs_<name> per src/<name>/ folder
#   cs_add_test(<name> SRCS ... DEPS ... [LABELS ...])  a GoogleTest binary registered with ctest;
#                                             label "unit" unless LABELS says otherwise (scripts/test.sh
#                                             runs "unit" plainly and "rgw" with Ceph RGW up)
#   cs_add_benchmark(<name> SRCS ... DEPS ...) a Google Benchmark binary (not run by ctest)
#
# Module dependencies must follow cmake/layers.txt; scripts/check-layers.sh enforces it.
#
# CS_DEV_SKIP_MISSING (default OFF, never in CI): skip tests and benchmarks whose sources do not
# exist yet, so a developer can configure a tree where someone is midway through adding a module.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

option(CS_WERROR "Treat compiler warnings as errors" OFF)
set(CS_SANITIZE "" CACHE STRING "Sanitizers to enable: address,undefined | thread | empty")

# -Wmissing-field-initializers: GCC 12 fires on designated initializers that rely on member
# defaults, which is exactly how option structs are meant to be used.
set(CS_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(CS_WERROR)
  list(APPEND CS_WARNINGS -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND CS_WARNINGS -Wthread-safety)
endif()

if(CS_SANITIZE)
  add_compile_options(-fsanitize=${CS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${CS_SANITIZE})
endif()

function(cs_add_module name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(cs_${name} STATIC ${ARG_SRCS})
  target_include_directories(cs_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_compile_options(cs_${name} PRIVATE ${CS_WARNINGS})
  target_link_libraries(cs_${name} PUBLIC ${ARG_DEPS})
endfunction()

# A never-built stand-in for a target skipped by CS_DEV_SKIP_MISSING, so that target_* calls
# after cs_add_test / cs_add_benchmark still configure.
function(cs_skipped_placeholder name)
  set(main "${CMAKE_BINARY_DIR}/cs_skipped_placeholder_main.cc")
  if(NOT EXISTS "${main}")
    file(WRITE "${main}" "int main() { return 1; }\n")
  endif()
  add_executable(${name} EXCLUDE_FROM_ALL "${main}")
endfunction()

function(cs_add_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  if(CS_DEV_SKIP_MISSING)
    foreach(src ${ARG_SRCS})
      if(NOT EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
        cs_skipped_placeholder(${name})
        return()
      endif()
    endforeach()
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${CS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()

function(cs_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(CS_DEV_SKIP_MISSING)
    foreach(src ${ARG_SRCS})
      if(NOT EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
        cs_skipped_placeholder(${name})
        return()
      endif()
    endforeach()
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${CS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()
