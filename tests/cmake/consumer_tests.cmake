# Consumer tests: build tests/cmake/<way>/ as a separate project against this
# checkout and run its executable. Included from tests/CMakeLists.txt.

set(_consumer_bin "${CMAKE_CURRENT_BINARY_DIR}/consumer")
if(SMARTCACHE_HAVE_REDIS)
  set(_consumer_expect_redis ON)
else()
  set(_consumer_expect_redis OFF)
endif()
# fmt/hiredis are found where this build found them; for find_package the
# install prefix comes first. $<SEMICOLON> keeps a list one argument.
set(_consumer_prefix_path "${_consumer_bin}/prefix" ${CMAKE_PREFIX_PATH})
string(REPLACE ";" "$<SEMICOLON>" _consumer_prefix_path "${_consumer_prefix_path}")

# _smartcache_consumer_test(<way> [cmake -D options...]): ctest entry cmake_<way>.
function(_smartcache_consumer_test way)
  add_test(NAME cmake_${way}
    COMMAND ${CMAKE_CTEST_COMMAND}
      --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake/${way} ${_consumer_bin}/${way}
      --build-generator ${CMAKE_GENERATOR}
      --build-makeprogram ${CMAKE_MAKE_PROGRAM}
      --build-project smartcache_consumer_${way}
      --build-options -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
                      "-DCMAKE_PREFIX_PATH=${_consumer_prefix_path}"
                      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${ARGN}
      --test-command consumer)
  set_tests_properties(cmake_${way} PROPERTIES LABELS consumer TIMEOUT ${SMARTCACHE_TEST_TIMEOUT})
endfunction()

# add_subdirectory(<checkout>)
_smartcache_consumer_test(add_subdirectory -DSMARTCACHE_SOURCE_DIR=${PROJECT_SOURCE_DIR})

# FetchContent with SOURCE_DIR at the checkout, fully disconnected.
_smartcache_consumer_test(fetch_content -DSMARTCACHE_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                          -DFETCHCONTENT_FULLY_DISCONNECTED=ON)

# find_package after `cmake --install` into a throw-away prefix (a fixture).
add_test(NAME cmake_install_for_find_package
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DBINARY_DIR=${_consumer_bin}/install-build
    -DPREFIX=${_consumer_bin}/prefix
    -DGENERATOR=${CMAKE_GENERATOR}
    -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/install_into_prefix.cmake)
set_tests_properties(cmake_install_for_find_package PROPERTIES
  FIXTURES_SETUP smartcache_installed LABELS consumer TIMEOUT ${SMARTCACHE_TEST_TIMEOUT})
_smartcache_consumer_test(find_package -DEXPECT_REDIS=${_consumer_expect_redis})
set_tests_properties(cmake_find_package PROPERTIES FIXTURES_REQUIRED smartcache_installed)

# BUILD_TESTING=OFF switches the tests off (configure only).
add_test(NAME cmake_build_testing_off
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DBINARY_DIR=${_consumer_bin}/build-testing
    -DGENERATOR=${CMAKE_GENERATOR}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/build_testing_off.cmake)
set_tests_properties(cmake_build_testing_off PROPERTIES LABELS consumer TIMEOUT ${SMARTCACHE_TEST_TIMEOUT})
