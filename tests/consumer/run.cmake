# Run by ctest (cmake -P): uses syncmap from an outside project, the ways a
# user would, and fails unless the outside program builds and exits 0.
#
#   MODE=find_package         install the built library into a temporary
#                             prefix; consumer project uses find_package
#   MODE=find_package_shared  the same against a shared build of the library
#                             (-DBUILD_SHARED_LIBS=ON), configured, built and
#                             installed here; checks the consumer links the .so
#   MODE=add_subdirectory     consumer project vendors the source tree
#   MODE=pkg_config           install, then compile main.cpp with the flags of
#                             `pkg-config --cflags --libs syncmap`
#   MODE=examples             install, then build examples/ on its own against
#                             the installed package (the README's path) and
#                             run its tests
#
# Inputs: MODE, BUILD_DIR (syncmap's build tree), SOURCE_DIR, WORK_DIR,
# CXX_COMPILER, GENERATOR, LIBDIR (CMAKE_INSTALL_LIBDIR), VERSION, and
# SANITIZER (SYNCMAP_SANITIZER of the build tree, may be empty). In a
# sanitizer build the installed library is instrumented, so everything built
# here gets the same -fsanitize flags: a consumer must be built the same way
# as the library it links (the tests' environment carries the sanitizer
# options).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

# Like run(), returning the command's standard output in out_var.
function(run_output out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(expect_exists)
  foreach(f IN LISTS ARGN)
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "expected ${f} to be installed")
    endif()
  endforeach()
endfunction()

set(san_flags "")
if(SANITIZER)
  set(san_flags "-fsanitize=${SANITIZER} -fno-omit-frame-pointer -g")
  if(SANITIZER MATCHES "undefined")
    string(APPEND san_flags " -fno-sanitize-recover=all")
  endif()
endif()
# Configure arguments for every project built here.
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_CXX_FLAGS=${san_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}"
  "-DCMAKE_SHARED_LINKER_FLAGS=${san_flags}")
set(prefix ${WORK_DIR}/prefix)
set(lib ${prefix}/${LIBDIR})

file(REMOVE_RECURSE ${WORK_DIR})

if(MODE STREQUAL "find_package_shared")
  # A library-only build of the source tree, shared.
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/syncmap-build ${common} -DBUILD_SHARED_LIBS=ON
    -DSYNCMAP_BUILD_TESTS=OFF -DSYNCMAP_BUILD_STRESS=OFF -DSYNCMAP_BUILD_EXAMPLES=OFF -DSYNCMAP_INSTALL=ON)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/syncmap-build --parallel 2)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/syncmap-build --prefix ${prefix})
  # SONAME: major.minor before 1.0, major after (CMakeLists.txt).
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _ "${VERSION}")
  if(CMAKE_MATCH_1 EQUAL 0)
    set(soversion ${CMAKE_MATCH_1}.${CMAKE_MATCH_2})
  else()
    set(soversion ${CMAKE_MATCH_1})
  endif()
  expect_exists(${lib}/libsyncmap.so ${lib}/libsyncmap.so.${soversion} ${lib}/libsyncmap.so.${VERSION})
  if(EXISTS ${lib}/libsyncmap.a)
    message(FATAL_ERROR "a shared build installed a static library")
  endif()
elseif(NOT MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
  expect_exists(${prefix}/include/syncmap/sync_map.hpp ${lib}/libsyncmap.a
    ${lib}/cmake/syncmap/syncmapConfig.cmake ${lib}/cmake/syncmap/syncmapConfigVersion.cmake
    ${lib}/cmake/syncmap/syncmapTargets.cmake ${lib}/pkgconfig/syncmap.pc)
endif()

if(MODE STREQUAL "find_package")
  # syncmapConfigVersion.cmake: accepts a request for this major.minor; before
  # 1.0 refuses another minor version, older or newer (SameMinorVersion).
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _ "${VERSION}")
  set(major ${CMAKE_MATCH_1})
  set(minor ${CMAKE_MATCH_2})
  math(EXPR newer "${minor} + 1")
  set(refused ${major}.${newer})
  if(major EQUAL 0 AND minor GREATER 0)
    math(EXPR older "${minor} - 1")
    list(APPEND refused ${major}.${older})
  endif()
  set(check "cmake_minimum_required(VERSION 3.21)\nproject(version_check LANGUAGES CXX)\n")
  foreach(v IN LISTS refused)
    string(APPEND check "find_package(syncmap ${v} CONFIG QUIET)
if(syncmap_FOUND)
  message(FATAL_ERROR \"syncmap accepted a request for ${v}\")
endif()\n")
  endforeach()
  string(APPEND check "find_package(syncmap ${major}.${minor} CONFIG REQUIRED)\n")
  file(WRITE ${WORK_DIR}/version-check/CMakeLists.txt "${check}")
  run(${CMAKE_COMMAND} -S ${WORK_DIR}/version-check -B ${WORK_DIR}/version-check/build ${common}
    -DCMAKE_PREFIX_PATH=${prefix})
endif()

if(MODE STREQUAL "pkg_config")
  # PKG_CONFIG_PATH as a user sets it for a non-system prefix.
  set(pc ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${lib}/pkgconfig pkg-config)
  run(${pc} --validate syncmap)
  run_output(version ${pc} --modversion syncmap)
  run_output(pc_prefix ${pc} --variable=prefix syncmap)
  if(NOT version STREQUAL VERSION OR NOT pc_prefix STREQUAL prefix)
    message(FATAL_ERROR "syncmap.pc: version ${version}, prefix ${pc_prefix}; expected ${VERSION}, ${prefix}")
  endif()
  # Fails if a package named in Requires (Debian's absl_*.pc) does not resolve.
  run_output(flags ${pc} --cflags --libs syncmap)
  message(STATUS "pkg-config --cflags --libs syncmap: ${flags}")
  foreach(expected "-I${prefix}/include" "-L${lib}" "-lsyncmap" "-labsl_hash" "-labsl_raw_hash_set")
    string(FIND " ${flags} " " ${expected} " at)
    if(at EQUAL -1)
      message(FATAL_ERROR "pkg-config flags lack ${expected}: ${flags}")
    endif()
  endforeach()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  separate_arguments(san UNIX_COMMAND "${san_flags}")
  file(MAKE_DIRECTORY ${WORK_DIR}/build)
  run(${CXX_COMPILER} -std=c++17 -O2 ${san} ${SOURCE_DIR}/tests/consumer/main.cpp -o ${WORK_DIR}/build/consumer
    ${flags})
  run(${WORK_DIR}/build/consumer)
  return()
endif()

if(MODE STREQUAL "examples")
  # What the README tells a newcomer to do after installing.
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples -B ${WORK_DIR}/build ${common} -DCMAKE_PREFIX_PATH=${prefix})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel 2)
  run(${CMAKE_CTEST_COMMAND} --test-dir ${WORK_DIR}/build --output-on-failure --timeout 300)
  return()
endif()

set(args -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build ${common})
if(MODE STREQUAL "add_subdirectory")
  list(APPEND args -DSYNCMAP_CONSUME=add_subdirectory -DSYNCMAP_SOURCE_DIR=${SOURCE_DIR})
else()
  list(APPEND args -DSYNCMAP_CONSUME=find_package -DCMAKE_PREFIX_PATH=${prefix})
endif()
run(${CMAKE_COMMAND} ${args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel 2)
if(MODE STREQUAL "find_package_shared")
  run_output(dynamic readelf -d ${WORK_DIR}/build/consumer)
  if(NOT dynamic MATCHES "NEEDED[^\n]*libsyncmap\\.so")
    message(FATAL_ERROR "the consumer does not link libsyncmap.so:\n${dynamic}")
  endif()
endif()
run(${WORK_DIR}/build/consumer)
