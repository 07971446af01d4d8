// smartcache - compile-time detection of the optional parts of the Store concept.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace smartcache::detail {

// True when Store offers the distributed refresh lock of store.hpp:
//   std::optional<std::string> try_lock_refresh(std::string_view, std::chrono::milliseconds);
//   void unlock_refresh(std::string_view, const std::string&);
template <class Store, class = void>
struct has_refresh_lock : std::false_type {};

template <class Store>
struct has_refresh_lock<
    Store, std::void_t<decltype(static_cast<bool>(std::declval<Store&>().try_lock_refresh(
                           std::string_view{}, std::chrono::milliseconds{}))),
                       decltype(*std::declval<Store&>().try_lock_refresh(std::string_view{},
                                                                          std::chrono::milliseconds{})),
                       decltype(std::declval<Store&>().unlock_refresh(std::string_view{},
                                                                      std::declval<const std::string&>()))>>
    : std::true_type {};

template <class Store>
inline constexpr bool has_refresh_lock_v = has_refresh_lock<Store>::value;

// True when Store offers a read that is not the lookup of a compute:
//   std::optional<StoredValue<V>> peek(std::string_view, WallTime);
// RedisStore notes, with each get, the invalidation sequence that the put
// following on the thread is checked against; a read after the compute must
// not replace that note (an invalidation during the compute would pass).
template <class Store, class = void>
struct has_peek : std::false_type {};

template <class Store>
struct has_peek<Store, std::void_t<decltype(std::declval<Store&>().peek(
                           std::string_view{}, std::declval<std::chrono::system_clock::time_point>()))>>
    : std::true_type {};

template <class Store>
inline constexpr bool has_peek_v = has_peek<Store>::value;

}  // namespace smartcache::detail
