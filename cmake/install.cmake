# Installation: headers, the library (static by default, shared with
# -DBUILD_SHARED_LIBS=ON), a CMake package (syncmapConfig.cmake,
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
# find_package(syncmap X.Y) accepts this version if it is not older and, per
# semantic versioning, has the same major version -- and before 1.0 the same
# minor version too, since a 0.x minor release may break the API.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SYNCMAP_COMPATIBILITY SameMinorVersion)
else()
  set(SYNCMAP_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/syncmapConfigVersion.cmake
  COMPATIBILITY ${SYNCMAP_COMPATIBILITY})
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/syncmapConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/syncmapConfigVersion.cmake
  DESTINATION ${SYNCMAP_CMAKE_DIR})

# syncmap.pc holds absolute paths, so it is written at install time, for the
# prefix actually installed to: `cmake --install build --prefix P` gets a .pc
# that points into P, not into the CMAKE_INSTALL_PREFIX configured earlier.
# (DESTDIR is not part of the paths, as for any staged install.)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SYNCMAP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(SYNCMAP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SYNCMAP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SYNCMAP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Everything but the prefix, now; @SYNCMAP_PC_PREFIX@ is left for install time.
set(SYNCMAP_PC_PREFIX "@SYNCMAP_PC_PREFIX@")
configure_file(cmake/syncmap.pc.in ${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc.in @ONLY)
install(CODE "
  set(SYNCMAP_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc.in\" \"${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc\" @ONLY)
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/syncmap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
