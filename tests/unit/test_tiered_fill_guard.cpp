// The memory tier's race guard: forced interleavings of reads, fills,
// notifications, own writes and their verification (detail/tiered/fill_guard.hpp).
#include "support/catch.hpp"

#include <smartcache/detail/tiered/fill_guard.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using smartcache::detail::FillGuard;

namespace {

// The memory tier of these tests: key -> value.
struct Tier {
  std::map<std::string, int> entries;
  bool has(const std::string& k) const { return entries.count(k) != 0; }
};

}  // namespace

TEST_CASE("a fill raced by a notification of its key is refused", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto t = g.ticket("a");                          // the reader starts, reads Redis (old value)...
  g.notified("a", [&] { tier.entries.erase("a"); });     // ...a writer's notification lands...
  CHECK_FALSE(g.fill_if_current(t, "a", [&] { tier.entries["a"] = 1; }));  // ...then the fill
  CHECK_FALSE(tier.has("a"));
}

TEST_CASE("a notification after a fill erases what was filled", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto t = g.ticket("a");
  CHECK(g.fill_if_current(t, "a", [&] { tier.entries["a"] = 1; }));
  CHECK(tier.has("a"));
  CHECK_FALSE(g.notified("a", [&] { tier.entries.erase("a"); }));
  CHECK_FALSE(tier.has("a"));
}

TEST_CASE("a notification of another key does not refuse a fill", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto t = g.ticket("odds:1");
  g.notified("odds:2", [&] { tier.entries.erase("odds:2"); });  // these two keys share no generation
  CHECK(g.fill_if_current(t, "odds:1", [&] { tier.entries["odds:1"] = 1; }));
  CHECK(tier.has("odds:1"));
}

TEST_CASE("a clear refuses every fill that began before it and drops pending own writes", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto before = g.ticket("a");
  const auto own = g.ticket("b");
  CHECK_FALSE(g.fill_own(own, "b", 7, [&] { tier.entries["b"] = 7; }));
  CHECK(g.pending_count() == 1);
  g.invalidate_all([&] { tier.entries.clear(); });
  CHECK(g.pending_count() == 0);
  CHECK_FALSE(g.fill_if_current(before, "a", [&] { tier.entries["a"] = 1; }));
  CHECK_FALSE(g.fill_own(before, "a", 1, [&] { tier.entries["a"] = 1; }));
  CHECK(tier.entries.empty());
  const auto after = g.ticket("a");
  CHECK(g.fill_if_current(after, "a", [&] { tier.entries["a"] = 2; }));
}

TEST_CASE("an own write whose echo came first is filled and verified at once", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto t = g.ticket("a");                       // before the write is sent
  g.notified("a", [&] { tier.entries.erase("a"); });  // Redis sends the echo before the reply
  CHECK(g.fill_own(t, "a", 42, [&] { tier.entries["a"] = 42; }));  // true: verify now
  CHECK(g.pending_count() == 1);
  const auto v = g.ticket("a");
  g.verified(v, "a", 42, [&] { tier.entries.erase("a"); });  // Redis holds what we wrote
  CHECK(tier.has("a"));
  CHECK(g.pending_count() == 0);
  // Verified: the next notification is someone else's write and erases it.
  CHECK_FALSE(g.notified("a", [&] { tier.entries.erase("a"); }));
  CHECK_FALSE(tier.has("a"));
}

TEST_CASE("the echo of an own write does not erase it; a foreign write merged with it does", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto t = g.ticket("a");
  CHECK_FALSE(g.fill_own(t, "a", 42, [&] { tier.entries["a"] = 42; }));  // the echo has not come yet
  CHECK(g.notified("a", [&] { tier.entries.erase("a"); }));  // echo (maybe merged): kept, to verify
  CHECK(tier.has("a"));
  const auto v = g.ticket("a");
  g.verified(v, "a", 99, [&] { tier.entries.erase("a"); });  // Redis holds another writer's frame
  CHECK_FALSE(tier.has("a"));
  CHECK(g.pending_count() == 0);
}

TEST_CASE("a verification overtaken by another notification waits for the next one", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  (void)g.fill_own(g.ticket("a"), "a", 42, [&] { tier.entries["a"] = 42; });
  CHECK(g.notified("a", [&] { tier.entries.erase("a"); }));
  const auto v = g.ticket("a");                               // the verifier reads Redis...
  CHECK(g.notified("a", [&] { tier.entries.erase("a"); }));  // ...another write lands meanwhile
  CHECK_FALSE(g.verified(v, "a", 42, [&] { tier.entries.erase("a"); }));  // stale answer: verify again
  CHECK(g.pending_count() == 1);
  CHECK(g.verified(g.ticket("a"), "a", 0, [&] { tier.entries.erase("a"); }));  // the second one: deleted
  CHECK_FALSE(tier.has("a"));
  CHECK(g.pending_count() == 0);
}

TEST_CASE("a verification overtaken by a notification for another key of its slot asks to be retried",
          "[tiered][guard]") {
  // Regression: it used to be dropped, leaving the key pending with nothing
  // left to verify it, so a deleted own write was served until it expired.
  FillGuard g;
  Tier tier;
  const auto slot = g.ticket("a").slot;
  std::string other;
  for (int i = 0; other.empty(); ++i)
    if (const std::string k = "k" + std::to_string(i); g.ticket(k).slot == slot) other = k;
  (void)g.fill_own(g.ticket("a"), "a", 42, [&] { tier.entries["a"] = 42; });
  CHECK(g.notified("a", [&] { tier.entries.erase("a"); }));
  const auto v = g.ticket("a");
  CHECK_FALSE(g.notified(other, [&] { tier.entries.erase(other); }));  // not pending: evicted, nothing queued
  CHECK_FALSE(g.verified(v, "a", 0, [&] { tier.entries.erase("a"); }));  // undecided: the caller retries
  CHECK(g.pending_count() == 1);
  CHECK(g.verified(g.ticket("a"), "a", 0, [&] { tier.entries.erase("a"); }));
  CHECK_FALSE(tier.has("a"));
}

TEST_CASE("a read does not replace a pending own write", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  const auto read = g.ticket("a");  // a read began before the own write
  (void)g.fill_own(g.ticket("a"), "a", 42, [&] { tier.entries["a"] = 42; });
  CHECK_FALSE(g.fill_if_current(read, "a", [&] { tier.entries["a"] = 1; }));
  CHECK(tier.entries["a"] == 42);
}

TEST_CASE("own invalidation erases a pending own write", "[tiered][guard]") {
  FillGuard g;
  Tier tier;
  (void)g.fill_own(g.ticket("a"), "a", 42, [&] { tier.entries["a"] = 42; });
  g.invalidate("a", [&] { tier.entries.erase("a"); });
  CHECK_FALSE(tier.has("a"));
  CHECK(g.pending_count() == 0);
}

TEST_CASE("stress: once every notification is handled, no tier entry is older than its key", "[tiered][guard][stress]") {
  // "Redis": a version per key. Writers bump it, then notify; readers read it
  // between a ticket and a fill. The tier may hold a key only at its latest version.
  constexpr int keys = 8;
  FillGuard g;
  std::array<std::atomic<int>, keys> redis{};
  std::mutex tier_mutex;
  std::map<std::string, int> tier;
  auto name = [](int k) { return "k" + std::to_string(k); };
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&, r] {
      for (int i = 0; !stop.load(); ++i) {
        const int k = (i + r) % keys;
        const auto t = g.ticket(name(k));
        const int v = redis[k].load();
        g.fill_if_current(t, name(k), [&] {
          std::lock_guard<std::mutex> lock(tier_mutex);
          tier[name(k)] = v;
        });
      }
    });
  std::thread writer([&] {
    for (int i = 0; i < 20'000; ++i) {
      const int k = i % keys;
      redis[k].fetch_add(1);
      g.notified(name(k), [&] {
        std::lock_guard<std::mutex> lock(tier_mutex);
        tier.erase(name(k));
      });
    }
    stop = true;
  });
  writer.join();
  for (auto& t : readers) t.join();
  for (const auto& [k, v] : tier) {
    INFO(k);
    CHECK(v == redis[std::stoi(k.substr(1))].load());
  }
}
