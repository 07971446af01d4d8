// smartcache tests - VIX summary, zones and their boundaries, TTL scaling and jitter.
// SPDX-License-Identifier: MIT
#include <smartcache/policy.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "support/catch.hpp"

using namespace std::chrono;
using smartcache::apply_jitter;
using smartcache::scaled;
using smartcache::VixStatus;
using smartcache::WallTime;
using smartcache::Zone;
using smartcache::ZoneBoundaries;
using smartcache::ZonePolicy;
using smartcache::ZoneTable;

static_assert(noexcept(smartcache::vix_status_summary(
    std::declval<const std::map<std::string, VixStatus>&>())));
static_assert(noexcept(std::declval<const ZoneTable&>().zone_for(
    std::declval<std::optional<WallTime>>(), std::declval<WallTime>())));
static_assert(noexcept(std::declval<const ZoneTable&>().policy(Zone::golden)));
static_assert(noexcept(apply_jitter(std::declval<milliseconds>(), 0.1, 0)));
static_assert(noexcept(scaled(std::declval<ZonePolicy>(), 0.5)));

namespace {
// A fixed kickoff far from the epoch, so that offsets on both sides are exact.
const WallTime kickoff = WallTime(hours(24 * 365 * 50));
}  // namespace

TEST_CASE("vix_status_summary: panic > warning > normal, empty is normal", "[policy][vix]") {
  using M = std::map<std::string, VixStatus>;
  CHECK(smartcache::vix_status_summary(M{}) == VixStatus::normal);
  CHECK(smartcache::vix_status_summary(M{{"a", VixStatus::normal}}) == VixStatus::normal);
  CHECK(smartcache::vix_status_summary(M{{"a", VixStatus::normal}, {"b", VixStatus::warning}}) ==
        VixStatus::warning);
  CHECK(smartcache::vix_status_summary(M{{"a", VixStatus::panic}, {"b", VixStatus::warning}}) ==
        VixStatus::panic);
  // Order of feeds does not matter: panic found after a warning and a normal.
  CHECK(smartcache::vix_status_summary(M{{"a", VixStatus::warning},
                                         {"b", VixStatus::normal},
                                         {"c", VixStatus::panic}}) == VixStatus::panic);
  CHECK(smartcache::vix_status_summary(M{{"a", VixStatus::warning}, {"b", VixStatus::warning}}) ==
        VixStatus::warning);
}

TEST_CASE("default zone policies are the documented TTLs, stale window = TTL", "[policy][zones]") {
  const auto t = ZoneTable::defaults();
  auto [zone, ttl] = GENERATE(table<Zone, milliseconds>({
      {Zone::standard, hours(1)},
      {Zone::warmup, minutes(15)},
      {Zone::prematch, minutes(5)},
      {Zone::golden, seconds(60)},
      {Zone::active, seconds(15)},
  }));
  CAPTURE(smartcache::to_string(zone));
  CHECK(t.policy(zone).fresh_ttl == ttl);
  CHECK(t.policy(zone).stale_window == ttl);
}

TEST_CASE("zone_for: every boundary, on it and one tick either side", "[policy][zones]") {
  const auto t = ZoneTable::defaults();
  const auto tick = WallTime::duration(1);
  // offset = now - kickoff (negative before kickoff). Zones are [start, end)
  // in wall time: a zone begins exactly at its boundary.
  auto [offset, expected] = GENERATE_COPY(table<WallTime::duration, Zone>({
      {-hours(24 * 365), Zone::standard},
      {-hours(24) - tick, Zone::standard},
      {-hours(24), Zone::warmup},
      {-hours(24) + tick, Zone::warmup},
      {-hours(12), Zone::warmup},
      {-hours(6) - tick, Zone::warmup},
      {-hours(6), Zone::prematch},
      {-hours(6) + tick, Zone::prematch},
      {-hours(3), Zone::prematch},
      {-hours(1) - tick, Zone::prematch},
      {-hours(1), Zone::golden},
      {-hours(1) + tick, Zone::golden},
      {-minutes(30), Zone::golden},
      {-tick, Zone::golden},
      {WallTime::duration::zero(), Zone::active},
      {tick, Zone::active},
      {hours(1), Zone::active},
      {hours(2) - tick, Zone::active},
      {hours(2), Zone::standard},
      {hours(2) + tick, Zone::standard},
      {hours(24 * 365), Zone::standard},
  }));
  CAPTURE(duration_cast<milliseconds>(offset).count());
  CHECK(t.zone_for(kickoff, kickoff + offset) == expected);
}

TEST_CASE("zone_for: no kickoff is standard, extreme time points do not overflow",
          "[policy][zones]") {
  const auto t = ZoneTable::defaults();
  CHECK(t.zone_for(std::nullopt, kickoff) == Zone::standard);
  CHECK(t.zone_for(std::nullopt, WallTime::max()) == Zone::standard);
  CHECK(t.zone_for(WallTime::max(), WallTime::min()) == Zone::standard);
  CHECK(t.zone_for(WallTime::min(), WallTime::max()) == Zone::standard);
  CHECK(t.zone_for(WallTime::max(), WallTime::max()) == Zone::active);
  CHECK(t.zone_for(WallTime::min(), WallTime::min()) == Zone::active);
}

TEST_CASE("custom boundaries move the zones; invalid ones are refused", "[policy][zones]") {
  auto t = ZoneTable::defaults();
  ZoneBoundaries b;
  b.warmup_before = hours(48);
  b.prematch_before = hours(12);
  b.golden_before = minutes(30);
  b.active_after = minutes(150);
  REQUIRE(t.set_boundaries(b));
  CHECK(t.boundaries() == b);
  CHECK(t.zone_for(kickoff, kickoff - hours(47)) == Zone::warmup);
  CHECK(t.zone_for(kickoff, kickoff - hours(12)) == Zone::prematch);
  CHECK(t.zone_for(kickoff, kickoff - minutes(31)) == Zone::prematch);
  CHECK(t.zone_for(kickoff, kickoff - minutes(30)) == Zone::golden);
  CHECK(t.zone_for(kickoff, kickoff + minutes(149)) == Zone::active);
  CHECK(t.zone_for(kickoff, kickoff + minutes(150)) == Zone::standard);

  SECTION("equal neighbours make a zone empty") {
    ZoneBoundaries no_prematch = b;
    no_prematch.prematch_before = no_prematch.golden_before;
    REQUIRE(t.set_boundaries(no_prematch));
    CHECK(t.zone_for(kickoff, kickoff - minutes(31)) == Zone::warmup);
    CHECK(t.zone_for(kickoff, kickoff - minutes(30)) == Zone::golden);
  }
  SECTION("out of order, negative or huge boundaries are refused and change nothing") {
    ZoneBoundaries bad = b;
    bad.golden_before = hours(13);  // after prematch starts
    CHECK_FALSE(t.set_boundaries(bad));
    bad = b;
    bad.active_after = -minutes(1);
    CHECK_FALSE(t.set_boundaries(bad));
    bad = b;
    bad.golden_before = -minutes(1);
    CHECK_FALSE(t.set_boundaries(bad));
    bad = b;
    bad.warmup_before = ZoneBoundaries::max_boundary + milliseconds(1);
    CHECK_FALSE(t.set_boundaries(bad));
    CHECK(t.boundaries() == b);
  }
}

TEST_CASE("set_policy replaces one zone and clamps negative durations", "[policy][zones]") {
  auto t = ZoneTable::defaults();
  t.set_policy(Zone::golden, {seconds(30), seconds(90)});
  CHECK(t.policy(Zone::golden) == ZonePolicy{seconds(30), seconds(90)});
  CHECK(t.policy(Zone::active) == ZonePolicy{seconds(15), seconds(15)});
  t.set_policy(Zone::active, {-seconds(1), -seconds(2)});
  CHECK(t.policy(Zone::active) == ZonePolicy{milliseconds(0), milliseconds(0)});
}

TEST_CASE("scaled multiplies both durations by a factor clamped to (0, 1]", "[policy][vix]") {
  const ZonePolicy p{seconds(60), seconds(120)};
  CHECK(scaled(p, 0.5) == ZonePolicy{seconds(30), seconds(60)});
  CHECK(scaled(p, 0.25) == ZonePolicy{seconds(15), seconds(30)});
  CHECK(scaled(p, 1.0) == p);
  CHECK(scaled(p, 3.0) == p);
  CHECK(scaled(p, std::numeric_limits<double>::infinity()) == p);
  CHECK(scaled(p, std::nan("")) == p);
  // Zero or negative: the smallest positive factor, floored at 1 ms.
  CHECK(scaled(p, 0.0) == ZonePolicy{milliseconds(1), milliseconds(1)});
  CHECK(scaled(p, -2.0) == ZonePolicy{milliseconds(1), milliseconds(1)});
  // A zero duration stays zero.
  CHECK(scaled(ZonePolicy{seconds(10), milliseconds(0)}, 0.5) ==
        ZonePolicy{seconds(5), milliseconds(0)});
}

TEST_CASE("apply_jitter stays within +-fraction, is deterministic and spreads", "[policy][jitter]") {
  const milliseconds ttl = seconds(60);
  const double fraction = GENERATE(0.01, 0.1, 0.25, 0.5);
  CAPTURE(fraction);
  std::mt19937_64 rng(42);
  milliseconds lo = milliseconds::max(), hi = milliseconds::min();
  std::set<milliseconds::rep> distinct;
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t bits = rng();
    const milliseconds j = apply_jitter(ttl, fraction, bits);
    CHECK(j == apply_jitter(ttl, fraction, bits));
    lo = std::min(lo, j);
    hi = std::max(hi, j);
    distinct.insert(j.count());
  }
  const auto span = static_cast<double>(ttl.count()) * fraction;
  CHECK(static_cast<double>(lo.count()) >= static_cast<double>(ttl.count()) - span);
  CHECK(static_cast<double>(hi.count()) <= static_cast<double>(ttl.count()) + span);
  // 2000 uniform draws cover both ends of the range closely.
  CHECK(static_cast<double>(lo.count()) <= static_cast<double>(ttl.count()) - 0.9 * span);
  CHECK(static_cast<double>(hi.count()) >= static_cast<double>(ttl.count()) + 0.9 * span);
  CHECK(distinct.size() > 10);
}

TEST_CASE("apply_jitter clamps the fraction and leaves degenerate TTLs alone", "[policy][jitter]") {
  const milliseconds ttl = seconds(10);
  // Extreme bits give the extreme ends of the clamped range.
  CHECK(apply_jitter(ttl, 0.9, 0) == seconds(5));
  CHECK(apply_jitter(ttl, 0.9, ~std::uint64_t{0}) == seconds(15));
  CHECK(apply_jitter(ttl, 0.0, 12345) == ttl);
  CHECK(apply_jitter(ttl, -0.3, 12345) == ttl);
  CHECK(apply_jitter(ttl, std::nan(""), 12345) == ttl);
  CHECK(apply_jitter(milliseconds(0), 0.5, 12345) == milliseconds(0));
  CHECK(apply_jitter(-seconds(1), 0.5, 0) == -seconds(1));
  CHECK(apply_jitter(milliseconds::max(), 0.5, ~std::uint64_t{0}) == milliseconds::max());
}
