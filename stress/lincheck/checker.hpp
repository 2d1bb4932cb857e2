// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Linearizability checking of sync_map histories, one key at a time.
//
// A map is a set of independent keys, and linearizability is local
// (P-compositional): a history is linearizable iff its projection on every
// key is. So each key's history is checked on its own, against the
// sequential model of one key (history.hpp), by a Wing-Gong search with
// Lowe's memoization: depth-first over the operations that may linearize
// next (every pending operation whose invocation precedes the earliest
// response not yet linearized), caching (set of linearized operations, model
// state) pairs already explored so no configuration is searched twice.
//
// clear() spans keys; it is projected into every key's history, which checks
// each projection but not that one instant serves all keys (documented
// limitation; clear's cross-key atomicity is checked by the harness's own
// invariants).

#ifndef SYNCMAP_STRESS_LINCHECK_CHECKER_HPP_
#define SYNCMAP_STRESS_LINCHECK_CHECKER_HPP_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "history.hpp"

namespace syncmap_stress {
namespace lincheck {

struct check_stats {
  std::size_t histories = 0;        // key histories checked
  std::size_t operations = 0;       // operations in them
  std::size_t states_explored = 0;  // search configurations visited
  std::size_t inconclusive = 0;     // histories whose search hit the budget
};

struct violation {
  key_t key = 0;
  std::optional<value_t> initial;
  // The operations involved: a minimal window of the key's history around
  // the point where no linearization could be extended (sorted by invoke).
  std::vector<operation> ops;
  std::string explanation;
};

struct check_result {
  bool linearizable = true;  // false iff a violation was proven
  check_stats stats;
  std::optional<violation> first_violation;
};

// Checks one key's history. `state_budget` bounds the configurations the
// search may visit; past it the history counts as inconclusive (reported in
// stats, never as a violation).
check_result check_key(const key_history& history, std::size_t state_budget = 10'000'000);

// Splits `logs` (one vector per recording thread, each in that thread's call
// order) by key, projects clear() operations into every key of
// `initial_states` and every key the logs mention, and checks every key's
// history, on up to `threads` threads. Keys absent from `initial_states`
// start absent.
check_result check_histories(const std::vector<const std::vector<operation>*>& logs,
                             const std::map<key_t, std::optional<value_t>>& initial_states,
                             unsigned threads = 1, std::size_t state_budget_per_key = 10'000'000);

}  // namespace lincheck
}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_LINCHECK_CHECKER_HPP_
