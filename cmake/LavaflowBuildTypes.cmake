# Build types and compiler flags shared by every target of the project.
#
#   Release         optimised, assertions off (default)
#   Debug           no optimisation, assertions on
#   RelWithDebInfo  optimised with debug info
#   Sanitize        AddressSanitizer + UndefinedBehaviorSanitizer, every UB report is fatal
#   TSan            ThreadSanitizer, for the concurrent code
#   Fuzz            clang only: libFuzzer coverage + ASan + UBSan for tests/fuzz (LAVAFLOW_BUILD_FUZZ)

set(_lf_build_types Release Debug RelWithDebInfo Sanitize TSan Fuzz)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS ${_lf_build_types})
if(CMAKE_BUILD_TYPE AND NOT CMAKE_BUILD_TYPE IN_LIST _lf_build_types)
  message(FATAL_ERROR "CMAKE_BUILD_TYPE='${CMAKE_BUILD_TYPE}' is not one of: ${_lf_build_types}")
endif()

set(_lf_asan_flags "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all")
set(_lf_tsan_flags "-O1 -g -fno-omit-frame-pointer -fsanitize=thread")
# (the library gets the fuzzer's coverage instrumentation; only the targets link its main)
set(_lf_fuzz_flags "-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all")
foreach(_lang C CXX)
  set(CMAKE_${_lang}_FLAGS_SANITIZE "${_lf_asan_flags}" CACHE STRING "" FORCE)
  set(CMAKE_${_lang}_FLAGS_TSAN "${_lf_tsan_flags}" CACHE STRING "" FORCE)
  set(CMAKE_${_lang}_FLAGS_FUZZ "${_lf_fuzz_flags}" CACHE STRING "" FORCE)
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_FUZZ "-fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_FUZZ "-fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "-fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_SANITIZE "-fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_TSAN "-fsanitize=thread" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_TSAN "-fsanitize=thread" CACHE STRING "" FORCE)
mark_as_advanced(CMAKE_C_FLAGS_FUZZ CMAKE_CXX_FLAGS_FUZZ CMAKE_EXE_LINKER_FLAGS_FUZZ CMAKE_SHARED_LINKER_FLAGS_FUZZ)
mark_as_advanced(CMAKE_C_FLAGS_SANITIZE CMAKE_CXX_FLAGS_SANITIZE CMAKE_C_FLAGS_TSAN
                 CMAKE_CXX_FLAGS_TSAN CMAKE_EXE_LINKER_FLAGS_SANITIZE
                 CMAKE_SHARED_LINKER_FLAGS_SANITIZE CMAKE_EXE_LINKER_FLAGS_TSAN
                 CMAKE_SHARED_LINKER_FLAGS_TSAN)

# True when the sanitizer runtimes are linked in; tests use it to pick their allocation
# counter and to skip checks that sanitizers make meaningless.
if(CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  set(LAVAFLOW_SANITIZER "address")
elseif(CMAKE_BUILD_TYPE STREQUAL "TSan")
  set(LAVAFLOW_SANITIZER "thread")
elseif(CMAKE_BUILD_TYPE STREQUAL "Fuzz")
  set(LAVAFLOW_SANITIZER "fuzz")
else()
  set(LAVAFLOW_SANITIZER "none")
endif()

# Line and branch coverage (gcov): every target is instrumented; `./run coverage` and the
# test command report src/ and capi/ (tests/scripts/coverage_report.py).
option(LAVAFLOW_COVERAGE "Instrument for gcov coverage (gcc)" OFF)
if(LAVAFLOW_COVERAGE)
  # (atomic counters: the tests run many threads, and racing increments corrupt the counts)
  add_compile_options(--coverage -fprofile-update=atomic)
  add_link_options(--coverage)
endif()

# Warnings for our own code only (never for third-party headers).
add_library(lavaflow_warnings INTERFACE)
target_compile_options(lavaflow_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
option(LAVAFLOW_WERROR "Treat compiler warnings as errors" ON)
if(LAVAFLOW_WERROR)
  target_compile_options(lavaflow_warnings INTERFACE -Werror)
endif()
