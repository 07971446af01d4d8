// smartcache - TagManager: which markets an event invalidates, and the plan for it.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartcache {

/// Something that happened and makes cached values wrong: its `type` ("goal",
/// "red_card") selects the markets through the TagManager's rules; its `scope`
/// (a match id, say) restricts the invalidation to entries tagged with it.
/// An empty scope means every entry carrying one of the markets.
struct Event {
  std::string type;
  std::string scope;
};

/// What an invalidation did, as returned by `SmartCache::invalidate_by_event`.
///
/// `markets_affected` is LOGICAL (markets the event maps to), `keys_deleted`
/// is ACTUAL (entries erased from the store: one market usually has many keys).
struct InvalidationReport {
  std::size_t markets_affected = 0;
  std::size_t keys_deleted = 0;
  std::size_t markets_preserved = 0;
  double cpu_saved_pct = 0;
  bool full = false;
};

/// What an invalidation should do, computed by `TagManager::plan` without
/// touching any store.
///
/// - `full`: the event type is unknown; erase everything (`markets` then
///   lists every known market, all of them logically affected, and
///   `markets_preserved` and `cpu_saved_pct` are 0).
/// - otherwise erase the entries tagged with `scope` (when non-empty) AND with
///   at least one of `markets`. A known type whose rule lists no market plans
///   to erase nothing: the executor must not call `erase_tagged(scope, {})`,
///   which would erase the whole scope.
struct InvalidationPlan {
  bool full = false;
  std::string scope;
  std::vector<std::string> markets;  ///< sorted, unique
  std::size_t markets_preserved = 0;
  double cpu_saved_pct = 0;  ///< markets_preserved / known markets x 100; 0 when none known

  /// True when executing the plan erases nothing by construction.
  [[nodiscard]] bool erases_nothing() const noexcept { return !full && markets.empty(); }
};

/// Maps event types to the markets they invalidate.
///
/// The class is thread-safe: rules may be added or removed while other threads
/// read them (readers share a lock, writers take it exclusively).
///
/// Example:
///   smartcache::TagManager tags;
///   tags.add_rule("goal", {"over_under_25", "btts", "correct_score"});
///   tags.add_rule("corner", {"corners_total"});
///   auto plan = tags.plan({"goal", "match:42"});
///   // plan.markets == {"btts", "correct_score", "over_under_25"},
///   // plan.markets_preserved == 1, plan.cpu_saved_pct == 25
class TagManager {
 public:
  TagManager() = default;
  TagManager(const TagManager& other) : TagManager(other, std::shared_lock<std::shared_mutex>(other.mutex_)) {}
  TagManager& operator=(const TagManager& other) {
    if (this == &other) return *this;
    std::map<std::string, std::vector<std::string>, std::less<>> rules;
    std::vector<std::string> known;
    {
      std::shared_lock<std::shared_mutex> lock(other.mutex_);
      rules = other.rules_;
      known = other.known_;
    }
    std::unique_lock<std::shared_mutex> lock(mutex_);
    rules_ = std::move(rules);
    known_ = std::move(known);
    return *this;
  }

  /// Sets the markets an event type invalidates. Adding a rule for a type
  /// that already has one REPLACES it (call `markets_for` first to merge).
  /// Markets are stored sorted and unique; empty market names are dropped.
  /// An empty list makes the type known but harmless (it invalidates nothing).
  ///
  /// Example: `tags.add_rule("red_card", {"match_result", "next_goal"});`
  void add_rule(std::string event_type, std::vector<std::string> markets) {
    markets.erase(std::remove(markets.begin(), markets.end(), std::string()), markets.end());
    std::sort(markets.begin(), markets.end());
    markets.erase(std::unique(markets.begin(), markets.end()), markets.end());
    std::unique_lock<std::shared_mutex> lock(mutex_);
    rules_[std::move(event_type)] = std::move(markets);
    rebuild_known();
  }

  /// Removes the rule of an event type; false when there was none.
  bool remove_rule(std::string_view event_type) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = rules_.find(event_type);
    if (it == rules_.end()) return false;
    rules_.erase(it);
    rebuild_known();
    return true;
  }

  /// The markets an event type invalidates (sorted, unique), or nullopt for
  /// a type without a rule.
  ///
  /// Example: `tags.markets_for("goal")->size()`
  [[nodiscard]] std::optional<std::vector<std::string>> markets_for(std::string_view type) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const auto it = rules_.find(type);
    if (it == rules_.end()) return std::nullopt;
    return it->second;
  }

  /// Every market some rule mentions: the union of all rules, sorted, unique.
  [[nodiscard]] std::vector<std::string> known_markets() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return known_;
  }

  /// `known_markets().size()` without the copy.
  [[nodiscard]] std::size_t known_market_count() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return known_.size();
  }

  /// Number of event types with a rule.
  [[nodiscard]] std::size_t rule_count() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return rules_.size();
  }

  /// Plans the invalidation of an event from one consistent view of the rules
  /// (see InvalidationPlan). Touches no store and no metrics.
  ///
  /// Example:
  ///   auto plan = tags.plan({"goal", "match:42"});
  ///   if (plan.full) store.clear();
  ///   else if (!plan.erases_nothing()) store.erase_tagged(plan.scope, plan.markets);
  [[nodiscard]] InvalidationPlan plan(const Event& event) const {
    InvalidationPlan p;
    p.scope = event.scope;
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const auto it = rules_.find(event.type);
    if (it == rules_.end()) {
      p.full = true;
      p.markets = known_;
      return p;
    }
    p.markets = it->second;
    // Rule markets are a subset of the union, so this cannot underflow.
    p.markets_preserved = known_.size() - p.markets.size();
    if (!known_.empty())
      p.cpu_saved_pct = static_cast<double>(p.markets_preserved) /
                        static_cast<double>(known_.size()) * 100.0;
    return p;
  }

  /// A realistic rule set for football (soccer) in-play events, used by the
  /// examples: goal, own_goal, penalty_awarded, penalty_missed, red_card,
  /// yellow_card, corner, substitution, var_review, half_time, full_time.
  ///
  /// Example: `auto tags = TagManager::with_football_rules();`
  [[nodiscard]] static TagManager with_football_rules() {
    TagManager t;
    const std::vector<std::string> score_markets = {
        "match_result",  "double_chance", "draw_no_bet",   "asian_handicap",
        "over_under_05", "over_under_15", "over_under_25", "over_under_35",
        "btts",          "correct_score", "next_goal",     "anytime_goalscorer",
        "winning_margin"};
    t.add_rule("goal", score_markets);
    t.add_rule("own_goal", score_markets);
    t.add_rule("penalty_awarded",
               {"next_goal", "correct_score", "penalty_scored", "anytime_goalscorer",
                "match_result"});
    t.add_rule("penalty_missed",
               {"next_goal", "correct_score", "penalty_scored", "anytime_goalscorer"});
    t.add_rule("red_card",
               {"match_result", "double_chance", "asian_handicap", "next_goal",
                "total_cards", "booking_points", "player_sent_off"});
    t.add_rule("yellow_card", {"total_cards", "booking_points", "player_booked"});
    t.add_rule("corner", {"total_corners", "corner_handicap", "next_corner", "race_to_corners"});
    t.add_rule("substitution", {"anytime_goalscorer", "player_booked", "player_shots"});
    t.add_rule("var_review",
               {"match_result", "correct_score", "next_goal", "penalty_scored",
                "player_sent_off"});
    t.add_rule("half_time", {"half_time_result", "half_time_correct_score", "half_time_full_time"});
    t.add_rule("full_time", {"match_result", "double_chance", "draw_no_bet", "correct_score",
                             "half_time_full_time", "winning_margin"});
    return t;
  }

 private:
  TagManager(const TagManager& other, const std::shared_lock<std::shared_mutex>&)
      : rules_(other.rules_), known_(other.known_) {}

  // Called with the exclusive lock held; rules change rarely, reads are many,
  // so the union is kept ready instead of recomputed per plan.
  void rebuild_known() {
    std::vector<std::string> all;
    for (const auto& rule : rules_) all.insert(all.end(), rule.second.begin(), rule.second.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    known_ = std::move(all);
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::vector<std::string>, std::less<>> rules_;
  std::vector<std::string> known_;
};

}  // namespace smartcache
