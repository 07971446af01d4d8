# cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DPREFIX=... -DGENERATOR=... -DCXX_COMPILER=...
#       -P install_into_prefix.cmake
# Configure smartcache with only its install rules, and install it into PREFIX.
foreach(_var SOURCE_DIR BINARY_DIR PREFIX GENERATOR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "install_into_prefix.cmake: ${_var} not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${BINARY_DIR}" "${PREFIX}")

set(_compiler "")
if(CXX_COMPILER)
  set(_compiler "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()

function(_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "failed (${_rc}): ${ARGN}")
  endif()
endfunction()

_run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}" ${_compiler}
     -DCMAKE_INSTALL_PREFIX=${PREFIX}
     -DSMARTCACHE_INSTALL=ON
     -DSMARTCACHE_BUILD_TESTS=OFF
     -DSMARTCACHE_BUILD_EXAMPLES=OFF
     -DSMARTCACHE_BUILD_BENCHMARKS=OFF)
_run(${CMAKE_COMMAND} --build "${BINARY_DIR}")
_run(${CMAKE_COMMAND} --install "${BINARY_DIR}")

if(NOT EXISTS "${PREFIX}/include/smartcache/smartcache.hpp")
  message(FATAL_ERROR "install did not place include/smartcache/smartcache.hpp in ${PREFIX}")
endif()
file(GLOB _configs "${PREFIX}/share/cmake/smartcache/smartcacheConfig.cmake")
if(NOT _configs)
  message(FATAL_ERROR "install did not place share/cmake/smartcache/smartcacheConfig.cmake")
endif()
message(STATUS "smartcache installed into ${PREFIX}")
