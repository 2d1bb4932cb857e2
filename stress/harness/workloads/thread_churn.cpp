// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// thread_churn: every round runs on newly created threads, which use the map
// and exit (no registration, no tear-down). Invariants: the checker's, plus
// the reclamation domain keeps its thread records bounded by the peak number
// of live threads, not the number ever created.

#include <string>

#include <syncmap/detail/reclaim.hpp>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class thread_churn final : public map_workload<value_t> {
 public:
  const char* name() const override { return "thread_churn"; }
  const char* description() const override {
    return "rounds on freshly created threads that use the map and exit; records stay bounded";
  }
  bool fresh_threads_each_round() const override { return true; }

  void setup(const config& cfg) override {
    make_map();
    keys_ = static_cast<key_t>(std::max(4U, cfg.keys));
    threads_ = cfg.threads;
    records_before_ = syncmap::detail::reclaim::stats().records;
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    switch (w.below(5)) {
      case 0:
        map().store(w, k, w.fresh_value(k));
        break;
      case 1:
        map().erase(w, k);
        break;
      case 2:
        map().swap(w, k, w.fresh_value(k));
        break;
      default:
        map().load(w, k);
        break;
    }
  }

  void check_round(const round_view& round, failure_sink& failures) override {
    // At most `threads` workers plus the coordinator and the checker thread
    // were ever alive at once during this workload.
    const std::size_t records = syncmap::detail::reclaim::stats().records;
    if (records > records_before_ + threads_ + 2) {
      failures.invariant("invariant: workload thread_churn, round " + std::to_string(round.number) + ": " +
                         std::to_string(records) + " thread records for at most " +
                         std::to_string(threads_ + 2) + " live threads (started with " +
                         std::to_string(records_before_) + ")");
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  key_t keys_ = 0;
  unsigned threads_ = 0;
  std::size_t records_before_ = 0;
};

}  // namespace

std::unique_ptr<workload> make_thread_churn() { return std::make_unique<thread_churn>(); }

}  // namespace syncmap_stress
