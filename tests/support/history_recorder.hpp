// Records what threads do to a sync_map<int, V> so that a concurrent test
// can run the linearizability checker (stress/lincheck) over it, on top of
// its own invariants: every concurrent test runs both oracles (TSan in the
// tsan preset, this checker in every preset).
//
//   history_recorder rec(threads);              // for sync_map<int, int64_t>
//   ... on thread t:  rec.store(t, m, k, v);  auto v = rec.load(t, m, k);
//   rec.expect_linearizable();                  // after joining the threads
//
// For another value type, basic_history_recorder<V>, with a specialization
// of lincheck::value_codec<V> (recorded_ops.hpp) that turns values into the
// checker's int64 and back.

#ifndef SYNCMAP_TESTS_SUPPORT_HISTORY_RECORDER_HPP_
#define SYNCMAP_TESTS_SUPPORT_HISTORY_RECORDER_HPP_

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "checker.hpp"
#include "history.hpp"
#include "recorded_ops.hpp"

namespace syncmap_test {

namespace lc = syncmap_stress::lincheck;

template <class V>
class basic_history_recorder {
 public:
  using map_type = syncmap::sync_map<int, V>;

  explicit basic_history_recorder(unsigned threads) : logs_(threads) {}

  std::optional<std::int64_t> load(unsigned t, map_type& m, int k) { return ops::load(m, t, k, log(t)); }
  void store(unsigned t, map_type& m, int k, std::int64_t v) { ops::store(m, t, k, v, log(t)); }
  std::pair<std::int64_t, bool> load_or_store(unsigned t, map_type& m, int k, std::int64_t v) {
    return ops::load_or_store(m, t, k, v, log(t));
  }
  std::optional<std::int64_t> load_and_delete(unsigned t, map_type& m, int k) {
    return ops::load_and_delete(m, t, k, log(t));
  }
  bool erase(unsigned t, map_type& m, int k) { return ops::erase(m, t, k, log(t)); }
  std::optional<std::int64_t> swap(unsigned t, map_type& m, int k, std::int64_t v) {
    return ops::swap(m, t, k, v, log(t));
  }
  bool compare_and_swap(unsigned t, map_type& m, int k, std::int64_t expected, std::int64_t v) {
    return ops::compare_and_swap(m, t, k, expected, v, log(t));
  }
  bool compare_and_delete(unsigned t, map_type& m, int k, std::int64_t expected) {
    return ops::compare_and_delete(m, t, k, expected, log(t));
  }
  void clear(unsigned t, map_type& m) { ops::clear(m, t, log(t)); }

  // The state the recorded operations started from (keys absent from it
  // started absent).
  void set_initial(int k, std::int64_t v) { initial_[k] = v; }

  std::size_t operations() const {
    std::size_t n = 0;
    for (const auto& l : logs_) n += l.size();
    return n;
  }

  // Checks the whole recorded history; call after the threads joined.
  void expect_linearizable() const {
    std::vector<const std::vector<lc::operation>*> logs;
    logs.reserve(logs_.size());
    for (const auto& l : logs_) logs.push_back(&l);
    const lc::check_result r = lc::check_histories(logs, initial_, 2);
    std::string why;
    if (r.first_violation) {
      why = "key " + std::to_string(r.first_violation->key) + ": " + r.first_violation->explanation;
      for (const lc::operation& op : r.first_violation->ops) why += "\n  " + lc::describe(op);
    }
    EXPECT_TRUE(r.linearizable) << why;
    EXPECT_EQ(r.stats.inconclusive, 0u) << "some histories were too hard to check";
    EXPECT_GT(r.stats.histories, 0u) << "nothing was checked";
  }

 private:
  using ops = lc::recorded_ops<map_type>;

  // Appends to thread t's log; only thread t calls it while the threads run.
  auto log(unsigned t) {
    return [this, t](const lc::operation& op) { logs_[t].push_back(op); };
  }

  // logs_[t]: thread t's operations, in its call order; only thread t
  // appends to it while the threads run.
  std::vector<std::vector<lc::operation>> logs_;
  std::map<lc::key_t, std::optional<lc::value_t>> initial_;
};

using history_recorder = basic_history_recorder<std::int64_t>;

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_HISTORY_RECORDER_HPP_
