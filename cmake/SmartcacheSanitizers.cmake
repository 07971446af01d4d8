# smartcache_target_sanitizers(<target>): apply SMARTCACHE_SANITIZER
# ("" | "address,undefined" | "thread") to one of smartcache's own targets.
include_guard(GLOBAL)

if(NOT SMARTCACHE_SANITIZER STREQUAL "")
  if(MSVC)
    message(FATAL_ERROR "smartcache: SMARTCACHE_SANITIZER is only supported with GCC/Clang")
  endif()
  if(SMARTCACHE_SANITIZER MATCHES "thread" AND SMARTCACHE_SANITIZER MATCHES "address")
    message(FATAL_ERROR "smartcache: ThreadSanitizer cannot be combined with AddressSanitizer")
  endif()
  message(STATUS "smartcache: sanitizers on test targets: ${SMARTCACHE_SANITIZER}")
endif()

function(smartcache_target_sanitizers target)
  if(SMARTCACHE_SANITIZER STREQUAL "")
    return()
  endif()
  set(_flags -fsanitize=${SMARTCACHE_SANITIZER} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_compile_options(${target} PRIVATE ${_flags})
  target_link_options(${target} PRIVATE ${_flags})
endfunction()
