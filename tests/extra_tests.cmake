# Extra ctest entries: the examples, the monitoring files and a real Prometheus.
# Included (optionally) at the end of tests/CMakeLists.txt.
#
#   smartcache_alert_rules              promtool check rules + promtool test rules
#   smartcache_monitoring_consistency   dashboard/alerts use exactly the exported families
#   smartcache_example_<name>           the examples run and exit 0 (quick settings)
#   smartcache_example_simulate_redis   simulate over RedisStore on a private redis-server
#   smartcache_prometheus_scrape        a real Prometheus scrapes metrics_server
#
# Tools are found with find_program (override with -DSMARTCACHE_PROMTOOL=... etc.).
# A test whose tool is missing is SKIPPED (exit 77), or FAILS when the
# environment variable CI is set, so CI cannot go green without running it.
include_guard(GLOBAL)

find_program(SMARTCACHE_PROMTOOL promtool DOC "promtool, for the alert-rule and exposition tests")
find_program(SMARTCACHE_PROMETHEUS prometheus DOC "Prometheus server, for the scrape integration test")
find_program(SMARTCACHE_REDIS_SERVER redis-server DOC "redis-server, for Redis integration tests")
find_program(SMARTCACHE_BASH bash)

set(SMARTCACHE_EXTRA_TESTS_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "")
set(SMARTCACHE_MONITORING_DIR "${PROJECT_SOURCE_DIR}/examples/monitoring" CACHE INTERNAL "")

if(NOT SMARTCACHE_BASH)
  message(STATUS "smartcache: bash not found, integration tests not registered")
  return()
endif()

# The include graph: no cycle, every include resolves, layers respected.
find_program(SMARTCACHE_PYTHON3 python3)
if(SMARTCACHE_PYTHON3)
  add_test(NAME smartcache_include_graph
           COMMAND ${SMARTCACHE_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/check_includes.py ${PROJECT_SOURCE_DIR})
  set_tests_properties(smartcache_include_graph PROPERTIES LABELS "architecture" TIMEOUT 60)
else()
  message(STATUS "smartcache: python3 not found; include graph test not registered")
endif()

add_test(NAME smartcache_alert_rules
         COMMAND ${SMARTCACHE_BASH} ${SMARTCACHE_EXTRA_TESTS_SOURCE_DIR}/integration/promtool_rules.sh
                 ${SMARTCACHE_MONITORING_DIR} ${SMARTCACHE_PROMTOOL})
set_tests_properties(smartcache_alert_rules PROPERTIES SKIP_RETURN_CODE 77 LABELS "monitoring" TIMEOUT 60)

# The example targets exist already: examples/ is read before tests/.
function(smartcache_register_example_tests)
  set(dir ${SMARTCACHE_EXTRA_TESTS_SOURCE_DIR}/integration)

  if(TARGET metrics_demo)
    add_test(NAME smartcache_monitoring_consistency
             COMMAND ${SMARTCACHE_BASH} ${dir}/monitoring_consistency.sh $<TARGET_FILE:metrics_demo>
                     ${SMARTCACHE_MONITORING_DIR} ${SMARTCACHE_PROMTOOL})
    set_tests_properties(smartcache_monitoring_consistency PROPERTIES
                         SKIP_RETURN_CODE 77 LABELS "monitoring" TIMEOUT 60)
    # Its OpenMetrics text, read by an independent strict parser (Debian's
    # python3-prometheus-client, hence the system python3).
    find_program(SMARTCACHE_SYSTEM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
    if(SMARTCACHE_SYSTEM_PYTHON3)
      add_test(NAME smartcache_openmetrics_parse
               COMMAND ${SMARTCACHE_BASH} -c "set -o pipefail; \"$1\" --quiet --openmetrics --requests 2000 | \"$2\" \"$3\""
                       _ $<TARGET_FILE:metrics_demo> ${SMARTCACHE_SYSTEM_PYTHON3} ${dir}/openmetrics_check.py)
      set_tests_properties(smartcache_openmetrics_parse PROPERTIES
                           SKIP_RETURN_CODE 77 LABELS "monitoring" TIMEOUT 60)
    endif()
    add_test(NAME smartcache_example_metrics_demo COMMAND metrics_demo --requests 2000)
    set_tests_properties(smartcache_example_metrics_demo PROPERTIES LABELS "examples" TIMEOUT 60)
  endif()

  if(TARGET quickstart)
    add_test(NAME smartcache_example_quickstart COMMAND quickstart)
    set_tests_properties(smartcache_example_quickstart PROPERTIES LABELS "examples" TIMEOUT 60)
  endif()

  if(TARGET simulate)
    # A short day; the exposition it writes must pass promtool check metrics.
    add_test(NAME smartcache_example_simulate
             COMMAND ${SMARTCACHE_BASH} ${dir}/simulate_smoke.sh $<TARGET_FILE:simulate> ${SMARTCACHE_PROMTOOL})
    set_tests_properties(smartcache_example_simulate PROPERTIES
                         SKIP_RETURN_CODE 77 LABELS "examples" TIMEOUT 120)
    if(TARGET smartcache::redis)
      # The same day over RedisStore on a private redis-server.
      add_test(NAME smartcache_example_simulate_redis
               COMMAND ${SMARTCACHE_BASH} ${dir}/simulate_redis.sh $<TARGET_FILE:simulate> ${SMARTCACHE_REDIS_SERVER})
      set_tests_properties(smartcache_example_simulate_redis PROPERTIES
                           SKIP_RETURN_CODE 77 LABELS "examples;integration;redis" TIMEOUT 180)
    endif()
  endif()

  if(TARGET metrics_server)
    # A tiny HTTP client for the script (no curl needed); links cpp-httplib the
    # same way the examples do.
    add_executable(smartcache_http_get ${dir}/http_get.cpp)
    if(NOT TARGET httplib::httplib)
      find_package(httplib MODULE QUIET)  # cmake/Findhttplib.cmake: same flags as the examples
    endif()
    target_link_libraries(smartcache_http_get PRIVATE httplib::httplib)
    target_link_libraries(smartcache_http_get PRIVATE Threads::Threads)
    target_compile_features(smartcache_http_get PRIVATE cxx_std_17)
    if(COMMAND smartcache_target_warnings)
      smartcache_target_warnings(smartcache_http_get)
    endif()

    # 100 idle or slow-drip connections must not stall /metrics or /healthz.
    add_executable(smartcache_slow_clients ${dir}/slow_clients.cpp)
    target_link_libraries(smartcache_slow_clients PRIVATE httplib::httplib Threads::Threads)
    target_compile_features(smartcache_slow_clients PRIVATE cxx_std_17)
    if(COMMAND smartcache_target_warnings)
      smartcache_target_warnings(smartcache_slow_clients)
    endif()
    add_test(NAME smartcache_metrics_server_slow_clients
             COMMAND ${SMARTCACHE_BASH} ${dir}/slow_clients.sh $<TARGET_FILE:metrics_server>
                     $<TARGET_FILE:smartcache_http_get> $<TARGET_FILE:smartcache_slow_clients>)
    set_tests_properties(smartcache_metrics_server_slow_clients PROPERTIES
                         LABELS "integration;examples" TIMEOUT 60)

    add_test(NAME smartcache_prometheus_scrape
             COMMAND ${SMARTCACHE_BASH} ${dir}/prometheus_scrape.sh
                     $<TARGET_FILE:metrics_server> $<TARGET_FILE:smartcache_http_get>
                     ${SMARTCACHE_PROMETHEUS} ${SMARTCACHE_PROMTOOL}
                     ${SMARTCACHE_MONITORING_DIR}/alerts.yml)
    set_tests_properties(smartcache_prometheus_scrape PROPERTIES
                         SKIP_RETURN_CODE 77 LABELS "integration;monitoring" TIMEOUT 240)
  endif()
endfunction()

smartcache_register_example_tests()
