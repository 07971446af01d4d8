// smartcache tests - a Store wrapper that fails on command or at random.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/stores/store.hpp>

namespace smartcache_test {

// Wraps any Store (a MemoryStore<V> by default). Each operation throws a
// smartcache::StoreError (or, with `throw_foreign`, a std::runtime_error not
// derived from it, or an int) when its switch is on, or at random with
// probability `failure_rate`; otherwise it forwards. Counts calls and failures.
// Thread-safe like the wrapped store.
template <class Inner>
class FaultyStore {
 public:
  using value_type = typename Inner::value_type;
  using V = value_type;

  enum class Thrown { store_error, runtime_error, non_exception, corrupt_entry };

  FaultyStore() : inner_(std::make_shared<Inner>()) {}
  explicit FaultyStore(std::shared_ptr<Inner> inner) : inner_(std::move(inner)) {}

  // Switches: the next calls of that operation fail while on.
  std::atomic<bool> fail_get{false};
  std::atomic<bool> fail_put{false};
  std::atomic<bool> fail_erase{false};
  std::atomic<bool> fail_erase_tagged{false};
  std::atomic<bool> fail_clear{false};
  // Probability in [0, 1] that any operation fails.
  std::atomic<double> failure_rate{0.0};
  std::atomic<Thrown> thrown{Thrown::store_error};

  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> puts{0};

  void fail_everything(bool on) noexcept {
    fail_get = on;
    fail_put = on;
    fail_erase = on;
    fail_erase_tagged = on;
    fail_clear = on;
  }

  std::optional<smartcache::StoredValue<V>> get(std::string_view key, smartcache::WallTime now) {
    maybe_fail(fail_get, "get");
    return inner_->get(key, now);
  }
  std::size_t put(std::string_view key, smartcache::Entry<V> entry, smartcache::WallTime now) {
    maybe_fail(fail_put, "put");
    ++puts;
    return inner_->put(key, std::move(entry), now);
  }
  bool erase(std::string_view key) {
    maybe_fail(fail_erase, "erase");
    return inner_->erase(key);
  }
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    maybe_fail(fail_erase_tagged, "erase_tagged");
    return inner_->erase_tagged(scope, any_of);
  }
  std::size_t clear() {
    maybe_fail(fail_clear, "clear");
    return inner_->clear();
  }
  std::size_t size() { return inner_->size(); }

  Inner& inner() noexcept { return *inner_; }

 private:
  void maybe_fail(const std::atomic<bool>& on, const char* op) {
    ++calls;
    bool fail = on.load();
    const double rate = failure_rate.load();
    if (!fail && rate > 0) {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      fail = std::uniform_real_distribution<double>(0.0, 1.0)(rng) < rate;
    }
    if (!fail) return;
    ++failures;
    switch (thrown.load()) {
      case Thrown::store_error: throw smartcache::StoreError(std::string("injected failure: ") + op);
      case Thrown::runtime_error: throw std::runtime_error(std::string("injected failure: ") + op);
      case Thrown::non_exception: throw 42;
      case Thrown::corrupt_entry:
        throw smartcache::CorruptEntryError(std::string("injected corrupt entry: ") + op);
    }
  }

  std::shared_ptr<Inner> inner_;
};

}  // namespace smartcache_test
