# cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DGENERATOR=... -P build_testing_off.cmake
# BUILD_TESTING=OFF (CTest's standard switch) must turn the tests off, with no
# "not used by the project" warning; without it, a top-level build has tests.
foreach(_var SOURCE_DIR BINARY_DIR GENERATOR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "build_testing_off.cmake: ${_var} not set")
  endif()
endforeach()

function(_configure dir)
  file(REMOVE_RECURSE "${dir}")
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${dir}" -G "${GENERATOR}"
                          -DSMARTCACHE_BUILD_EXAMPLES=OFF -DSMARTCACHE_BUILD_BENCHMARKS=OFF
                          -DSMARTCACHE_CONSUMER_TESTS=OFF ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configure failed (${rc}):\n${out}\n${err}")
  endif()
  set(_log "${out}\n${err}" PARENT_SCOPE)
endfunction()

_configure("${BINARY_DIR}/off" -DBUILD_TESTING=OFF)
if(_log MATCHES "BUILD_TESTING")
  message(FATAL_ERROR "BUILD_TESTING reported as unused:\n${_log}")
endif()
if(EXISTS "${BINARY_DIR}/off/tests")
  message(FATAL_ERROR "BUILD_TESTING=OFF still configured the tests")
endif()

# A cached SMARTCACHE_BUILD_TESTS=ON from an earlier run does not win either.
_configure("${BINARY_DIR}/cached" -DSMARTCACHE_BUILD_TESTS=ON)
if(NOT EXISTS "${BINARY_DIR}/cached/tests")
  message(FATAL_ERROR "a top-level build without BUILD_TESTING has no tests")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -DBUILD_TESTING=OFF "${BINARY_DIR}/cached"
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
execute_process(COMMAND ${CMAKE_COMMAND} --build "${BINARY_DIR}/cached" --target help
                OUTPUT_VARIABLE _targets ERROR_QUIET)
if(NOT rc EQUAL 0 OR _targets MATCHES "test_log")
  message(FATAL_ERROR "BUILD_TESTING=OFF given later did not turn the tests off")
endif()
message(STATUS "BUILD_TESTING honoured")
