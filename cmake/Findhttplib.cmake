# Findhttplib: cpp-httplib, as an imported target httplib::httplib.
#
# Debian's libcpp-httplib-dev is NOT header-only: the implementation is in
# libcpp-httplib.so, built with OpenSSL, zlib and Brotli support, so users must
# compile httplib.h with the same CPPHTTPLIB_*_SUPPORT macros (ODR/ABI). Those
# come from pkg-config `cpp-httplib` when available.
#
# Result: httplib_FOUND, httplib_INCLUDE_DIR, httplib_LIBRARY (empty for a
# header-only copy), target httplib::httplib.
include(FindPackageHandleStandardArgs)

# An upstream install (header-only or compiled) with its own CMake package.
find_package(httplib CONFIG QUIET)
if(TARGET httplib::httplib)
  set(httplib_FOUND TRUE)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_HTTPLIB QUIET cpp-httplib)
endif()

find_path(httplib_INCLUDE_DIR NAMES httplib.h HINTS ${PC_HTTPLIB_INCLUDE_DIRS})
find_library(httplib_LIBRARY NAMES cpp-httplib HINTS ${PC_HTTPLIB_LIBRARY_DIRS})

find_package_handle_standard_args(httplib REQUIRED_VARS httplib_INCLUDE_DIR)

if(httplib_FOUND AND NOT TARGET httplib::httplib)
  find_package(Threads REQUIRED)
  add_library(httplib::httplib INTERFACE IMPORTED)
  if(NOT httplib_INCLUDE_DIR STREQUAL "/usr/include")
    set_property(TARGET httplib::httplib PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${httplib_INCLUDE_DIR}")
  endif()
  set(_httplib_libs Threads::Threads)
  if(httplib_LIBRARY)
    list(PREPEND _httplib_libs "${httplib_LIBRARY}")
    # Defines the library was built with (pkg-config Cflags: -DCPPHTTPLIB_...).
    set(_httplib_defs "")
    foreach(_flag IN LISTS PC_HTTPLIB_CFLAGS_OTHER)
      if(_flag MATCHES "^-D(.+)$")
        list(APPEND _httplib_defs "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    if(NOT PC_HTTPLIB_FOUND)
      # No pkg-config: assume a Debian-style build with every optional feature.
      set(_httplib_defs CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT)
    endif()
    if(_httplib_defs)
      set_property(TARGET httplib::httplib PROPERTY INTERFACE_COMPILE_DEFINITIONS "${_httplib_defs}")
    endif()
  endif()
  set_property(TARGET httplib::httplib PROPERTY INTERFACE_LINK_LIBRARIES "${_httplib_libs}")
endif()

mark_as_advanced(httplib_INCLUDE_DIR httplib_LIBRARY)
