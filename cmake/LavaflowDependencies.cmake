# Third-party dependencies. hwloc is required (scope detection is the core of lavaflow);
# everything else is an optional feature that switches off cleanly when its package is
# missing. Each optional feature is a cache variable with the values AUTO (default: use it
# when found), ON (fail the configure step when missing) and OFF.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(LAVAFLOW_FEATURES "")        # optional features whose packages were found
# Layers that compile code for a feature append it to LAVAFLOW_COMPILED_FEATURES (and define
# LAVAFLOW_HAVE_<FEATURE> for their sources); the summary says "yes" only for those.
set(LAVAFLOW_COMPILED_FEATURES "HWLOC")
set(_lf_summary_lines "")        # one line per feature for the configure summary

function(_lf_summary name state why)
  set(_lf_summary_lines "${_lf_summary_lines};${name}|${state}|${why}" PARENT_SCOPE)
endfunction()

# lavaflow_optional_pkg(<FEATURE> <pkg-config module> <debian package> <what it enables>)
# Defines the imported target lavaflow_dep::<module> and LAVAFLOW_HAVE_<FEATURE>.
macro(lavaflow_optional_pkg feature module debpkg purpose)
  set(LAVAFLOW_WITH_${feature} AUTO CACHE STRING "Build ${purpose} (AUTO, ON, OFF)")
  set_property(CACHE LAVAFLOW_WITH_${feature} PROPERTY STRINGS AUTO ON OFF)
  set(LAVAFLOW_HAVE_${feature} OFF)
  if(LAVAFLOW_WITH_${feature} STREQUAL "OFF")
    _lf_summary("${feature}" "no" "disabled with -DLAVAFLOW_WITH_${feature}=OFF")
  else()
    pkg_check_modules(LF_PC_${feature} QUIET IMPORTED_TARGET GLOBAL ${module})
    if(LF_PC_${feature}_FOUND)
      set(LAVAFLOW_HAVE_${feature} ON)
      list(APPEND LAVAFLOW_FEATURES ${feature})
      _lf_summary("${feature}" "found" "${module} ${LF_PC_${feature}_VERSION}: ${purpose}")
    elseif(LAVAFLOW_WITH_${feature} STREQUAL "ON")
      message(FATAL_ERROR "LAVAFLOW_WITH_${feature}=ON but pkg-config module '${module}' "
                          "was not found (Debian: apt-get install ${debpkg})")
    else()
      _lf_summary("${feature}" "no" "pkg-config module '${module}' not found (apt-get install ${debpkg})")
    endif()
  endif()
endmacro()

pkg_check_modules(LF_PC_HWLOC REQUIRED IMPORTED_TARGET GLOBAL hwloc>=2.0)
list(APPEND LAVAFLOW_PC_REQUIRES_PRIVATE hwloc)
_lf_summary("HWLOC" "yes" "hwloc ${LF_PC_HWLOC_VERSION}: topology and scope detection (required)")

lavaflow_optional_pkg(NUMA    numa      libnuma-dev    "NUMA-bound memory (libnuma)")
lavaflow_optional_pkg(VULKAN  vulkan    libvulkan-dev  "Vulkan device memory and semaphores")
lavaflow_optional_pkg(ZSTD    libzstd   libzstd-dev    "zstd compression for the MPI transport")
lavaflow_optional_pkg(LZ4     liblz4    liblz4-dev     "lz4 compression for the MPI transport")
lavaflow_optional_pkg(SODIUM  libsodium libsodium-dev  "authenticated encryption for the MPI transport")

# The tests and benchmarks pin the Vulkan driver to Mesa's lavapipe (a CPU driver every
# machine can run) when it is installed; set LAVAFLOW_TEST_VULKAN_ICD empty to test on the
# system's own driver (a real GPU).
if(LAVAFLOW_HAVE_VULKAN)
  find_file(LAVAFLOW_LAVAPIPE_ICD lvp_icd.x86_64.json PATHS /usr/share/vulkan/icd.d NO_DEFAULT_PATH)
  set(LAVAFLOW_TEST_VULKAN_ICD "${LAVAFLOW_LAVAPIPE_ICD}" CACHE STRING "Vulkan ICD file the tests use (empty: the system's)")
endif()

# MPI goes through CMake's FindMPI (mpicc wrappers), not pkg-config.
set(LAVAFLOW_WITH_MPI AUTO CACHE STRING "Build the MPI transport (AUTO, ON, OFF)")
set_property(CACHE LAVAFLOW_WITH_MPI PROPERTY STRINGS AUTO ON OFF)
set(LAVAFLOW_HAVE_MPI OFF)
if(LAVAFLOW_WITH_MPI STREQUAL "OFF")
  _lf_summary("MPI" "no" "disabled with -DLAVAFLOW_WITH_MPI=OFF")
else()
  find_package(MPI QUIET COMPONENTS C)
  if(MPI_C_FOUND)
    set(LAVAFLOW_HAVE_MPI ON)
    list(APPEND LAVAFLOW_FEATURES MPI)
    _lf_summary("MPI" "found" "MPI ${MPI_C_VERSION}: transport between hosts")
    # How the project's tests and benchmark smoke runs start ranks on this one machine: as
    # root in CI containers, more ranks than cores, shared memory and TCP only.
    set(LAVAFLOW_MPIRUN ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe --mca btl self,vader,tcp)
  elseif(LAVAFLOW_WITH_MPI STREQUAL "ON")
    message(FATAL_ERROR "LAVAFLOW_WITH_MPI=ON but no MPI was found (Debian: apt-get install libopenmpi-dev)")
  else()
    _lf_summary("MPI" "no" "no MPI C compiler wrapper found (apt-get install libopenmpi-dev)")
  endif()
endif()

# cmocka only matters for the tests; CLI11 and toml++ only for the command-line tool (the
# standalone driver reads TOML; the library takes its configuration as params).
if(LAVAFLOW_BUILD_TESTS)
  pkg_check_modules(LF_PC_CMOCKA IMPORTED_TARGET GLOBAL cmocka)
  if(NOT LF_PC_CMOCKA_FOUND)
    message(FATAL_ERROR "The tests need cmocka (apt-get install libcmocka-dev), "
                        "or configure with -DLAVAFLOW_BUILD_TESTS=OFF")
  endif()
endif()
if(LAVAFLOW_BUILD_TOOLS OR LAVAFLOW_BUILD_FUZZ)  # (the fuzz targets read the driver's TOML as the tool does)
  find_path(LAVAFLOW_CLI11_INCLUDE_DIR CLI/CLI.hpp)
  if(NOT LAVAFLOW_CLI11_INCLUDE_DIR)
    message(FATAL_ERROR "The lavaflow tool needs CLI11 (apt-get install libcli11-dev), "
                        "or configure with -DLAVAFLOW_BUILD_TOOLS=OFF")
  endif()
  pkg_check_modules(LF_PC_TOMLPP IMPORTED_TARGET GLOBAL tomlplusplus)
  if(NOT LF_PC_TOMLPP_FOUND)
    message(FATAL_ERROR "The lavaflow tool needs toml++ (apt-get install libtomlplusplus-dev), "
                        "or configure with -DLAVAFLOW_BUILD_TOOLS=OFF")
  endif()
endif()

function(lavaflow_print_summary)
  message(STATUS "")
  message(STATUS "lavaflow ${PROJECT_VERSION} — build type ${CMAKE_BUILD_TYPE}")
  message(STATUS "  feature   built  package and purpose, or why not")
  foreach(_line IN LISTS _lf_summary_lines)
    if(_line STREQUAL "")
      continue()
    endif()
    string(REPLACE "|" ";" _parts "${_line}")
    list(GET _parts 0 _name)
    list(GET _parts 1 _state)
    list(GET _parts 2 _why)
    if(_state STREQUAL "found")
      if(_name IN_LIST LAVAFLOW_COMPILED_FEATURES)
        set(_state "yes")
      else()
        set(_state "no")
        set(_why "${_why} [found; no code in lavaflow ${PROJECT_VERSION} uses it yet]")
      endif()
    endif()
    string(TOLOWER "${_name}" _name)
    string(LENGTH "${_name}" _len)
    math(EXPR _pad "9 - ${_len}")
    string(REPEAT " " ${_pad} _spaces)
    string(LENGTH "${_state}" _state_len)
    math(EXPR _state_pad "7 - ${_state_len}")
    string(REPEAT " " ${_state_pad} _state_spaces)
    message(STATUS "  ${_name}${_spaces} ${_state}${_state_spaces}${_why}")
  endforeach()
  message(STATUS "  tools ${LAVAFLOW_BUILD_TOOLS}, tests ${LAVAFLOW_BUILD_TESTS}, "
                 "benchmarks ${LAVAFLOW_BUILD_BENCH}, examples ${LAVAFLOW_BUILD_EXAMPLES}")
  message(STATUS "")
endfunction()
