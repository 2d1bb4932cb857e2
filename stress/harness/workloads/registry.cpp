// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "registry.hpp"

#include <memory>
#include <vector>

namespace syncmap_stress {

// The broad workloads first: under --fail-fast a bug is reported by the
// first one that sees it.
std::vector<std::unique_ptr<workload>> make_workloads() {
  std::vector<std::unique_ptr<workload>> out;
  out.reserve(12);
  out.push_back(make_read_mostly());
  out.push_back(make_disjoint_writers());
  out.push_back(make_churn());
  out.push_back(make_range_mutation());
  out.push_back(make_cas_counters());
  out.push_back(make_load_or_store_race());
  out.push_back(make_clear_under_load());
  out.push_back(make_value_lifetime());
  out.push_back(make_thread_churn());
  out.push_back(make_size_bounds());
  // checked_map, not sync_map: Go's misuse check on an ordinary map.
  out.push_back(make_checked_map_unlocked());
  out.push_back(make_checked_map_locked());
  return out;
}

}  // namespace syncmap_stress
