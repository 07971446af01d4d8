// smartcache tests - TagManager rules, the known-market union and invalidation plans.
// SPDX-License-Identifier: MIT
#include <smartcache/tags.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

using smartcache::Event;
using smartcache::InvalidationPlan;
using smartcache::TagManager;
using Markets = std::vector<std::string>;

namespace {
bool close(double a, double b) { return std::abs(a - b) <= 1e-9; }
}  // namespace

TEST_CASE("markets_for: rule markets sorted unique, nullopt for unknown types", "[tags]") {
  TagManager t;
  CHECK_FALSE(t.markets_for("goal").has_value());
  t.add_rule("goal", {"over_under_25", "btts", "btts", "", "correct_score"});
  REQUIRE(t.markets_for("goal").has_value());
  CHECK(*t.markets_for("goal") == Markets{"btts", "correct_score", "over_under_25"});
  CHECK_FALSE(t.markets_for("red_card").has_value());
  CHECK_FALSE(t.markets_for("").has_value());
  CHECK(t.rule_count() == 1);
}

TEST_CASE("add_rule for a known type replaces its markets", "[tags]") {
  TagManager t;
  t.add_rule("goal", {"btts", "next_goal"});
  t.add_rule("goal", {"correct_score"});
  CHECK(*t.markets_for("goal") == Markets{"correct_score"});
  CHECK(t.known_markets() == Markets{"correct_score"});  // btts, next_goal no longer known
  CHECK(t.rule_count() == 1);
}

TEST_CASE("known_markets is the sorted union of all rules", "[tags]") {
  TagManager t;
  CHECK(t.known_markets().empty());
  CHECK(t.known_market_count() == 0);
  t.add_rule("goal", {"next_goal", "btts", "match_result"});
  t.add_rule("red_card", {"match_result", "total_cards"});
  t.add_rule("corner", {"total_corners"});
  const Markets expected{"btts", "match_result", "next_goal", "total_cards", "total_corners"};
  CHECK(t.known_markets() == expected);
  CHECK(t.known_market_count() == expected.size());
  SECTION("remove_rule drops markets only that rule mentioned") {
    CHECK(t.remove_rule("red_card"));
    CHECK_FALSE(t.remove_rule("red_card"));
    CHECK(t.known_markets() == Markets{"btts", "match_result", "next_goal", "total_corners"});
  }
}

TEST_CASE("plan: surgical for a known type, preserved and cpu_saved_pct from the union",
          "[tags][plan]") {
  TagManager t;
  t.add_rule("goal", {"btts", "next_goal", "match_result"});
  t.add_rule("red_card", {"match_result", "total_cards"});
  t.add_rule("corner", {"total_corners", "corner_handicap", "next_corner"});
  // known: btts, corner_handicap, match_result, next_corner, next_goal, total_cards,
  // total_corners = 7
  REQUIRE(t.known_market_count() == 7);

  const InvalidationPlan goal = t.plan(Event{"goal", "match:42"});
  CHECK_FALSE(goal.full);
  CHECK(goal.scope == "match:42");
  CHECK(goal.markets == Markets{"btts", "match_result", "next_goal"});
  CHECK(goal.markets_preserved == 4);
  CHECK(close(goal.cpu_saved_pct, 4.0 / 7.0 * 100.0));
  CHECK_FALSE(goal.erases_nothing());

  const InvalidationPlan red = t.plan(Event{"red_card", ""});
  CHECK(red.scope.empty());
  CHECK(red.markets_preserved == 5);
  CHECK(close(red.cpu_saved_pct, 5.0 / 7.0 * 100.0));
}

TEST_CASE("plan: an unknown type is a full invalidation", "[tags][plan]") {
  TagManager t;
  t.add_rule("goal", {"btts", "next_goal"});
  const InvalidationPlan p = t.plan(Event{"meteor_strike", "match:1"});
  CHECK(p.full);
  CHECK(p.markets == Markets{"btts", "next_goal"});  // all logically affected
  CHECK(p.markets_preserved == 0);
  CHECK(p.cpu_saved_pct == 0.0);
  CHECK_FALSE(p.erases_nothing());
}

TEST_CASE("plan: degenerate rule sets", "[tags][plan]") {
  SECTION("nothing known: unknown type is full, percentages are 0") {
    TagManager t;
    const InvalidationPlan p = t.plan(Event{"goal", ""});
    CHECK(p.full);
    CHECK(p.markets.empty());
    CHECK(p.cpu_saved_pct == 0.0);
  }
  SECTION("a rule with no market is known and erases nothing, everything preserved") {
    TagManager t;
    t.add_rule("substitution", {});
    t.add_rule("goal", {"btts"});
    const InvalidationPlan p = t.plan(Event{"substitution", "match:1"});
    CHECK_FALSE(p.full);
    CHECK(p.markets.empty());
    CHECK(p.erases_nothing());
    CHECK(p.markets_preserved == 1);
    CHECK(close(p.cpu_saved_pct, 100.0));
  }
  SECTION("the only rule covers every known market: nothing preserved") {
    TagManager t;
    t.add_rule("goal", {"btts", "next_goal"});
    const InvalidationPlan p = t.plan(Event{"goal", "match:1"});
    CHECK(p.markets_preserved == 0);
    CHECK(p.cpu_saved_pct == 0.0);
  }
}

TEST_CASE("with_football_rules: realistic rules, goal preserves the non-score markets",
          "[tags]") {
  const TagManager t = TagManager::with_football_rules();
  for (const char* type : {"goal", "own_goal", "penalty_awarded", "penalty_missed", "red_card",
                           "yellow_card", "corner", "substitution", "var_review", "half_time",
                           "full_time"}) {
    CAPTURE(type);
    REQUIRE(t.markets_for(type).has_value());
    CHECK_FALSE(t.markets_for(type)->empty());
  }
  const auto goal = *t.markets_for("goal");
  for (const char* m : {"btts", "correct_score", "next_goal", "over_under_25", "match_result"})
    CHECK(std::binary_search(goal.begin(), goal.end(), std::string(m)));
  CHECK_FALSE(std::binary_search(goal.begin(), goal.end(), std::string("total_corners")));
  const InvalidationPlan p = t.plan(Event{"corner", "match:7"});
  CHECK_FALSE(p.full);
  CHECK(p.markets_preserved == t.known_market_count() - p.markets.size());
  CHECK(p.cpu_saved_pct > 80.0);
}

TEST_CASE("copies are independent", "[tags]") {
  TagManager a;
  a.add_rule("goal", {"btts"});
  TagManager b = a;
  b.add_rule("corner", {"total_corners"});
  CHECK(a.rule_count() == 1);
  CHECK(b.rule_count() == 2);
  a = b;
  CHECK(a.known_markets() == Markets{"btts", "total_corners"});
}

TEST_CASE("rules can change while other threads plan", "[tags][concurrency]") {
  TagManager t;
  t.add_rule("goal", {"btts", "next_goal"});
  std::atomic<bool> stop{false};
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const InvalidationPlan p = t.plan(Event{"goal", "m"});
        // One consistent view: preserved + affected == known at that instant,
        // and the goal rule always has its two markets.
        if (p.full || p.markets.size() != 2) ++inconsistent;
        const auto known = t.known_markets();
        if (!std::is_sorted(known.begin(), known.end())) ++inconsistent;
      }
    });
  }
  for (int i = 0; i < 1000; ++i) {
    const std::string type = "type_" + std::to_string(i % 50);
    t.add_rule(type, {"m_" + std::to_string(i), "btts"});
    if (i % 3 == 0) t.remove_rule(type);
  }
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(inconsistent.load() == 0);
  const InvalidationPlan p = t.plan(Event{"goal", "m"});
  CHECK(p.markets_preserved + p.markets.size() == t.known_market_count());
}
