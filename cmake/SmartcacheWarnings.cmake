# smartcache_target_warnings(<target>): the strict warning set for smartcache's
# OWN tests, examples and benchmarks. Never applied to the INTERFACE library
# target, so consumers keep their own warning flags.
include_guard(GLOBAL)

function(smartcache_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(SMARTCACHE_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow)
    if(SMARTCACHE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
