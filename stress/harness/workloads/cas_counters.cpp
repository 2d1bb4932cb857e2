// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// cas_counters: counters incremented by compare_and_swap retry loops from
// every thread. Invariant: at the end, the counters sum to the number of
// increments the threads made (no lost update).

#include <atomic>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class cas_counters final : public map_workload<value_t> {
 public:
  const char* name() const override { return "cas_counters"; }
  const char* description() const override {
    return "counters incremented by compare_and_swap loops; the sums must equal the increments";
  }

  void setup(const config& cfg) override {
    make_map();
    counters_ = 8;
    increments_.assign(cfg.threads, 0);
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(counters_)));
    value_t current = map().load_or_store(w, k, 0).first;
    while (!map().compare_and_swap(w, k, current, current + 1)) {
      const auto now = map().load(w, k);
      if (!now) {
        w.fail("invariant: workload cas_counters, counter " + std::to_string(k) + " disappeared");
        return;
      }
      current = *now;
    }
    ++increments_[w.index()];
  }

  void finish(failure_sink& failures) override {
    value_t sum = 0;
    map().map().range([&](key_t, value_t v) { sum += v; });
    std::uint64_t expected = 0;
    for (const std::uint64_t n : increments_) expected += n;
    if (static_cast<std::uint64_t>(sum) != expected) {
      failures.invariant("invariant: workload cas_counters: counters sum to " + std::to_string(sum) +
                         " after " + std::to_string(expected) + " increments (lost or duplicated updates)");
    }
    drop_map();
  }

 private:
  key_t counters_ = 0;
  // increments_[thread]: successful increments; only its thread writes it.
  std::vector<std::uint64_t> increments_;
};

}  // namespace

std::unique_ptr<workload> make_cas_counters() { return std::make_unique<cas_counters>(); }

}  // namespace syncmap_stress
