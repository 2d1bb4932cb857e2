// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// One factory per workload, each defined in the workload's own file;
// registry.cpp lists them in the order `--workload all` runs them.

#ifndef SYNCMAP_STRESS_HARNESS_WORKLOADS_REGISTRY_HPP_
#define SYNCMAP_STRESS_HARNESS_WORKLOADS_REGISTRY_HPP_

#include <memory>

#include "../harness.hpp"

namespace syncmap_stress {

std::unique_ptr<workload> make_read_mostly();
std::unique_ptr<workload> make_disjoint_writers();
std::unique_ptr<workload> make_churn();
std::unique_ptr<workload> make_range_mutation();
std::unique_ptr<workload> make_cas_counters();
std::unique_ptr<workload> make_load_or_store_race();
std::unique_ptr<workload> make_clear_under_load();
std::unique_ptr<workload> make_value_lifetime();
std::unique_ptr<workload> make_thread_churn();
std::unique_ptr<workload> make_size_bounds();
std::unique_ptr<workload> make_checked_map_unlocked();
std::unique_ptr<workload> make_checked_map_locked();

}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_HARNESS_WORKLOADS_REGISTRY_HPP_
