# Installation: headers, both libraries, the CLI (tools/), lavaflow.pc, and a CMake package
# (lavaflowConfig.cmake + version file) exporting lavaflow::lavaflow and
# lavaflow::lavaflow_static; with MPI also liblavaflow_mpi, lavaflow_mpi.pc and
# lavaflow::lavaflow_mpi.
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
