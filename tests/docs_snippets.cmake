# Documentation snippets: every fenced block opened with exactly ```cpp in the
# pages below is compiled, so README.md and docs/ cannot drift from the code.
# Included from tests/CMakeLists.txt.
#
# At configure time each block is written to
# ${CMAKE_CURRENT_BINARY_DIR}/docs_snippets/<page>_<n>.cpp (n counts the page's
# cpp blocks from 1), preceded by a #line directive so that a diagnostic names
# the Markdown file and line. All of them form the OBJECT library
# smartcache_docs_snippets: compiled, never linked, so a snippet needs no main,
# and each one is its own translation unit. The ctest entry of the same name
# builds that target, so a broken snippet fails the tests. Editing a page
# re-runs the configure step.
#
# A snippet that includes <smartcache/redis_store.hpp> needs smartcache::redis,
# one that includes <httplib.h> needs cpp-httplib; each is skipped (with a
# message) when its dependency is missing.

# The pages, listed explicitly: a new page of docs/ is added here.
set(_smartcache_doc_pages
  README.md
  docs/README.md
  docs/design.md
  docs/request-flow.md
  docs/deadlines.md
  docs/configuration.md
  docs/stores.md
  docs/tiered-store.md
  docs/metrics.md
  docs/monitoring.md
  docs/guarantees.md
  docs/benchmarks.md
  docs/development.md
  docs/examples.md)

set(_smartcache_snippet_dir "${CMAKE_CURRENT_BINARY_DIR}/docs_snippets")
file(MAKE_DIRECTORY "${_smartcache_snippet_dir}")

if(NOT TARGET httplib::httplib)
  find_package(httplib MODULE QUIET)  # cmake/Findhttplib.cmake
endif()

set(_smartcache_snippet_sources "")
set(_smartcache_snippet_skipped 0)
foreach(_page IN LISTS _smartcache_doc_pages)
  set(_page_path "${PROJECT_SOURCE_DIR}/${_page}")
  if(NOT EXISTS "${_page_path}")
    message(FATAL_ERROR "smartcache: documentation page ${_page} is listed in "
                        "tests/docs_snippets.cmake but does not exist")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_page_path}")

  # docs/request-flow.md -> docs_request_flow
  string(REGEX REPLACE "\\.md$" "" _stem "${_page}")
  string(REGEX REPLACE "[^A-Za-z0-9]" "_" _stem "${_stem}")

  # Searched as plain text, not as a CMake list: C++ is full of ';' and '['.
  # A leading newline lets a fence on the first line match "\n```cpp\n" too;
  # it also makes the count of newlines before a position its line number.
  file(READ "${_page_path}" _text)
  set(_text "\n${_text}")
  set(_open "\n```cpp\n")
  string(LENGTH "${_open}" _open_length)
  set(_pos 0)
  set(_n 0)
  while(TRUE)
    string(SUBSTRING "${_text}" ${_pos} -1 _rest)
    string(FIND "${_rest}" "${_open}" _found)
    if(_found EQUAL -1)
      break()
    endif()
    math(EXPR _body_start "${_pos} + ${_found} + ${_open_length}")
    # From the newline that ends the opening line: an empty block closes too.
    math(EXPR _from "${_body_start} - 1")
    string(SUBSTRING "${_text}" ${_from} -1 _after)
    string(FIND "${_after}" "\n```" _end)
    if(_end EQUAL -1)
      message(FATAL_ERROR "smartcache: ${_page}: a ```cpp block is never closed")
    endif()
    if(_end GREATER 0)
      math(EXPR _body_length "${_end} - 1")
      string(SUBSTRING "${_text}" ${_body_start} ${_body_length} _body)
    else()
      set(_body "")
    endif()
    math(EXPR _n "${_n} + 1")
    math(EXPR _pos "${_from} + ${_end} + 4")

    # Line of the block's first code line in the page.
    string(SUBSTRING "${_text}" 0 ${_body_start} _before)
    string(REGEX REPLACE "[^\n]" "" _newlines "${_before}")
    string(LENGTH "${_newlines}" _line)

    set(_skip_reason "")
    if(_body MATCHES "#[ \t]*include[ \t]*<smartcache/redis_store\\.hpp>" AND NOT TARGET smartcache::redis)
      set(_skip_reason "hiredis not found")
    elseif(_body MATCHES "#[ \t]*include[ \t]*[<\"]httplib\\.h[>\"]" AND NOT TARGET httplib::httplib)
      set(_skip_reason "cpp-httplib not found")
    endif()
    if(_skip_reason)
      message(STATUS "smartcache: docs snippet ${_page} #${_n} skipped (${_skip_reason})")
      math(EXPR _smartcache_snippet_skipped "${_smartcache_snippet_skipped} + 1")
      continue()
    endif()

    set(_out "${_smartcache_snippet_dir}/${_stem}_${_n}.cpp")
    set(_source "// Generated from ${_page}, cpp block ${_n}, by tests/docs_snippets.cmake.\n")
    string(APPEND _source "#line ${_line} \"${_page_path}\"\n" "${_body}" "\n")
    # Rewritten only when it changed, so a reconfigure recompiles only that.
    set(_old "")
    if(EXISTS "${_out}")
      file(READ "${_out}" _old)
    endif()
    if(NOT _old STREQUAL _source)
      file(WRITE "${_out}" "${_source}")
    endif()
    list(APPEND _smartcache_snippet_sources "${_out}")
  endwhile()
endforeach()

# Snippets of an earlier configure whose block has gone.
file(GLOB _smartcache_old_snippets "${_smartcache_snippet_dir}/*.cpp")
foreach(_old IN LISTS _smartcache_old_snippets)
  if(NOT _old IN_LIST _smartcache_snippet_sources)
    file(REMOVE "${_old}")
  endif()
endforeach()

list(LENGTH _smartcache_snippet_sources _smartcache_snippet_count)
message(STATUS "smartcache: ${_smartcache_snippet_count} documentation snippets compiled by "
               "smartcache_docs_snippets (${_smartcache_snippet_skipped} skipped)")

if(_smartcache_snippet_count GREATER 0)
  # Built by its ctest entry, not by `all`: a snippet broken by an API change
  # fails one test instead of the whole build.
  add_library(smartcache_docs_snippets OBJECT ${_smartcache_snippet_sources})
  set_target_properties(smartcache_docs_snippets PROPERTIES EXCLUDE_FROM_ALL TRUE)
  target_link_libraries(smartcache_docs_snippets PRIVATE smartcache::smartcache)
  if(TARGET smartcache::redis)
    target_link_libraries(smartcache_docs_snippets PRIVATE smartcache::redis)
  endif()
  if(TARGET httplib::httplib)
    target_link_libraries(smartcache_docs_snippets PRIVATE httplib::httplib)
  endif()
  if(COMMAND smartcache_target_warnings)
    smartcache_target_warnings(smartcache_docs_snippets)
  endif()
  # Only compiled, never run: no optimisation, no debug info, whatever the
  # build type, so the check stays quick inside `make test`.
  if(NOT MSVC)
    target_compile_options(smartcache_docs_snippets PRIVATE -O0 -g0)
  endif()

  get_property(_smartcache_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(_smartcache_multi_config)
    set(_smartcache_snippet_config --config $<CONFIG>)
  else()
    set(_smartcache_snippet_config "")
  endif()
  add_test(NAME smartcache_docs_snippets
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target smartcache_docs_snippets
                   ${_smartcache_snippet_config})
  set_tests_properties(smartcache_docs_snippets PROPERTIES
    LABELS "docs"
    TIMEOUT ${SMARTCACHE_TEST_TIMEOUT})
endif()
