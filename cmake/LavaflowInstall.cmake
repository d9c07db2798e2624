# Installation: headers, both libraries, the CLI (tools/), lavaflow.pc, and a CMake package
# (lavaflowConfig.cmake + version file) exporting lavaflow::lavaflow and
# lavaflow::lavaflow_static; with MPI also liblavaflow_mpi, lavaflow_mpi.pc and
# lavaflow::lavaflow_mpi; with Fortran the modules (.mod files in <includedir>/lavaflow/fortran),
# their static libraries, lavaflow-fortran.pc (lavaflow_mpi-fortran.pc) and lavaflow::fortran
# (lavaflow::mpi_fortran).
include(CMakePackageConfigHelpers)

install(DIRECTORY include/lavaflow DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(TARGETS lavaflow lavaflow_static EXPORT lavaflowTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(LAVAFLOW_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lavaflow)
install(EXPORT lavaflowTargets NAMESPACE lavaflow:: DESTINATION ${LAVAFLOW_CMAKE_DIR})
configure_package_config_file(cmake/lavaflowConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lavaflowConfig.cmake INSTALL_DESTINATION ${LAVAFLOW_CMAKE_DIR})
# Minor versions are compatible (docs/c-api.md); a new major version is a new ABI.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lavaflowConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lavaflowConfig.cmake ${PROJECT_BINARY_DIR}/lavaflowConfigVersion.cmake
  DESTINATION ${LAVAFLOW_CMAKE_DIR})

# pkg-config: the prefix is derived from the .pc file's own location (${pcfiledir}), so that
# the installed tree can be moved, and `cmake --install --prefix` anywhere yields a working file.
file(RELATIVE_PATH LAVAFLOW_PC_PREFIX_FROM_PCDIR "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" LAVAFLOW_PC_PREFIX_FROM_PCDIR "${LAVAFLOW_PC_PREFIX_FROM_PCDIR}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(LAVAFLOW_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(LAVAFLOW_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LAVAFLOW_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(LAVAFLOW_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
string(REPLACE ";" " " LAVAFLOW_PC_REQUIRES_PRIVATE "${LAVAFLOW_PC_REQUIRES_PRIVATE}")
configure_file(pkgconfig/lavaflow.pc.in ${PROJECT_BINARY_DIR}/lavaflow.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lavaflow.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# liblavaflow_mpi and its lavaflow_mpi.pc (needs the MPI the library was built with; Open MPI's
# pkg-config module is ompi-c).
if(TARGET lavaflow_mpi)
  # CMake: lavaflow::lavaflow_mpi in an export set of its own, which lavaflowConfig.cmake
  # includes once it found MPI (component "mpi").
  install(TARGETS lavaflow_mpi EXPORT lavaflowMpiTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT lavaflowMpiTargets NAMESPACE lavaflow:: DESTINATION ${LAVAFLOW_CMAKE_DIR})
  configure_file(pkgconfig/lavaflow_mpi.pc.in ${PROJECT_BINARY_DIR}/lavaflow_mpi.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/lavaflow_mpi.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# The Fortran modules, where they were built: their .mod files (one compiler's: the directory is
# documented in docs/fortran.md), static libraries, pkg-config files, and lavaflow::fortran
# (lavaflow::mpi_fortran) in an export set of their own (component "fortran").
if(TARGET lavaflow_fortran)
  set(LAVAFLOW_FORTRAN_MODULE_DIR ${CMAKE_INSTALL_INCLUDEDIR}/lavaflow/fortran)
  set(_lf_fortran_targets lavaflow_fortran)
  if(TARGET lavaflow_mpi_fortran)
    list(APPEND _lf_fortran_targets lavaflow_mpi_fortran)
  endif()
  foreach(target ${_lf_fortran_targets})
    target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${LAVAFLOW_FORTRAN_MODULE_DIR}>)
  endforeach()
  get_target_property(_lf_module_dir lavaflow_fortran Fortran_MODULE_DIRECTORY)  # (both modules' .mod files)
  set_target_properties(lavaflow_fortran PROPERTIES EXPORT_NAME fortran)
  install(TARGETS lavaflow_fortran EXPORT lavaflowFortranTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT lavaflowFortranTargets NAMESPACE lavaflow:: DESTINATION ${LAVAFLOW_CMAKE_DIR})
  install(DIRECTORY ${_lf_module_dir}/ DESTINATION ${LAVAFLOW_FORTRAN_MODULE_DIR} FILES_MATCHING PATTERN "*.mod")
  configure_file(pkgconfig/lavaflow-fortran.pc.in ${PROJECT_BINARY_DIR}/lavaflow-fortran.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/lavaflow-fortran.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  if(TARGET lavaflow_mpi_fortran)
    set_target_properties(lavaflow_mpi_fortran PROPERTIES EXPORT_NAME mpi_fortran)
    install(TARGETS lavaflow_mpi_fortran EXPORT lavaflowMpiFortranTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
    install(EXPORT lavaflowMpiFortranTargets NAMESPACE lavaflow:: DESTINATION ${LAVAFLOW_CMAKE_DIR})
    configure_file(pkgconfig/lavaflow_mpi-fortran.pc.in ${PROJECT_BINARY_DIR}/lavaflow_mpi-fortran.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/lavaflow_mpi-fortran.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  endif()
endif()
