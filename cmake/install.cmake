# Installation: headers, the library, a CMake package (syncmapConfig.cmake,
# syncmapConfigVersion.cmake, syncmapTargets.cmake) and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS syncmap EXPORT syncmapTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/syncmap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(SYNCMAP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/syncmap)
install(EXPORT syncmapTargets NAMESPACE syncmap:: DESTINATION ${SYNCMAP_CMAKE_DIR})
configure_package_config_file(cmake/syncmapConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/syncmapConfig.cmake
  INSTALL_DESTINATION ${SYNCMAP_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/syncmapConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/syncmapConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/syncmapConfigVersion.cmake
  DESTINATION ${SYNCMAP_CMAKE_DIR})

configure_file(cmake/syncmap.pc.in ${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
