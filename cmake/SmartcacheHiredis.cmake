# smartcache_find_hiredis(): create the imported target `smartcache::hiredis`
# when hiredis can be found, and set SMARTCACHE_HIREDIS_FOUND.
#
# Tried in order:
#   1. an upstream hiredis CMake package giving hiredis::hiredis (hiredis >= 1.0);
#   2. Debian's `Hiredis` package config, which only sets HIREDIS_INCLUDE_DIRS
#      and HIREDIS_LIBRARIES (hiredis 0.14);
#   3. pkg-config `hiredis`;
#   4. a plain find_path(hiredis/hiredis.h) + find_library(hiredis).
# Used both by the project and, installed, by smartcacheConfig.cmake.
include_guard(GLOBAL)

function(_smartcache_make_hiredis_target include_dirs libraries)
  add_library(smartcache::hiredis INTERFACE IMPORTED)
  set(_dirs "")
  foreach(_dir IN LISTS include_dirs)
    # Never put the compiler's own include dirs on the line as -isystem: it
    # breaks #include_next in the C++ standard headers.
    if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT _dir STREQUAL "/usr/include")
      list(APPEND _dirs "${_dir}")
    endif()
  endforeach()
  if(_dirs)
    set_property(TARGET smartcache::hiredis PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_dirs}")
  endif()
  set_property(TARGET smartcache::hiredis PROPERTY INTERFACE_LINK_LIBRARIES "${libraries}")
endfunction()

function(smartcache_find_hiredis)
  if(TARGET smartcache::hiredis)
    set(SMARTCACHE_HIREDIS_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  set(SMARTCACHE_HIREDIS_FOUND FALSE PARENT_SCOPE)

  # 1. upstream config: hiredis::hiredis
  find_package(hiredis CONFIG QUIET)
  if(TARGET hiredis::hiredis)
    _smartcache_make_hiredis_target("" hiredis::hiredis)
    set(SMARTCACHE_HIREDIS_FOUND TRUE PARENT_SCOPE)
    message(STATUS "smartcache: hiredis found (hiredis::hiredis)")
    return()
  endif()

  # 2. Debian's config: variables only. Its version file fails with a CMake
  # error when no version is requested, so ask for 0.1 (accepts 0.x, x >= 1).
  find_package(Hiredis 0.1 CONFIG QUIET)
  if(Hiredis_FOUND AND HIREDIS_INCLUDE_DIRS AND HIREDIS_LIBRARIES)
    _smartcache_make_hiredis_target("${HIREDIS_INCLUDE_DIRS}" "${HIREDIS_LIBRARIES}")
    set(SMARTCACHE_HIREDIS_FOUND TRUE PARENT_SCOPE)
    message(STATUS "smartcache: hiredis found (${HIREDIS_LIBRARIES})")
    return()
  endif()

  # 3. pkg-config
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(SMARTCACHE_PC_HIREDIS QUIET hiredis)
    if(SMARTCACHE_PC_HIREDIS_FOUND)
      find_library(SMARTCACHE_HIREDIS_LIBRARY NAMES hiredis
                   HINTS ${SMARTCACHE_PC_HIREDIS_LIBRARY_DIRS})
      if(SMARTCACHE_HIREDIS_LIBRARY)
        _smartcache_make_hiredis_target("${SMARTCACHE_PC_HIREDIS_INCLUDE_DIRS}"
                                        "${SMARTCACHE_HIREDIS_LIBRARY}")
        set(SMARTCACHE_HIREDIS_FOUND TRUE PARENT_SCOPE)
        message(STATUS "smartcache: hiredis found via pkg-config (${SMARTCACHE_HIREDIS_LIBRARY})")
        return()
      endif()
    endif()
  endif()

  # 4. plain search
  find_path(SMARTCACHE_HIREDIS_INCLUDE_DIR NAMES hiredis/hiredis.h)
  find_library(SMARTCACHE_HIREDIS_LIBRARY NAMES hiredis)
  if(SMARTCACHE_HIREDIS_INCLUDE_DIR AND SMARTCACHE_HIREDIS_LIBRARY)
    _smartcache_make_hiredis_target("${SMARTCACHE_HIREDIS_INCLUDE_DIR}" "${SMARTCACHE_HIREDIS_LIBRARY}")
    set(SMARTCACHE_HIREDIS_FOUND TRUE PARENT_SCOPE)
    message(STATUS "smartcache: hiredis found (${SMARTCACHE_HIREDIS_LIBRARY})")
    return()
  endif()

  message(STATUS "smartcache: hiredis not found; smartcache::redis unavailable")
endfunction()
