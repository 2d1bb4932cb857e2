// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// range_mutation: range() while other threads store, erase, swap and clear,
// with callbacks that themselves write to the map (store, erase of the
// visited key, nested range). Invariants (range is not linearizable, so the
// checker does not model it): no key visited twice, and every (key, value)
// shown was the key's value at some instant of the call, as far as the
// recorded history can tell (check_range_observations). The writes, including
// those made from callbacks, are checked for linearizability.

#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class range_mutation final : public map_workload<value_t> {
 public:
  const char* name() const override { return "range_mutation"; }
  const char* description() const override {
    return "range() under concurrent writes and clear, with callbacks that write and range";
  }

  void setup(const config& cfg) override {
    make_map();
    keys_ = static_cast<key_t>(std::max(4U, std::min(cfg.keys, 256U)));
    observations_.assign(cfg.threads, {});
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    switch (w.below(16)) {
      case 0:
        do_range(w, /*mutate=*/false);
        break;
      case 1:
        do_range(w, /*mutate=*/true);
        break;
      case 2:
        if (w.below(20) == 0) map().clear(w);
        break;
      case 3:
      case 4:
        map().erase(w, k);
        break;
      case 5:
        map().swap(w, k, w.fresh_value(k));
        break;
      default:
        map().store(w, k, w.fresh_value(k));
        break;
    }
  }

  void check_round(const round_view& round, failure_sink& failures) override {
    std::vector<range_observation> all;
    for (auto& per_thread : observations_) {
      all.insert(all.end(), per_thread.begin(), per_thread.end());
      per_thread.clear();
    }
    check_range_observations(all, round, name(), failures);
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  void do_range(worker& w, bool mutate) {
    range_observation obs;
    obs.thread = w.index();
    obs.invoke = lc::now();
    map().map().range([&](key_t k, value_t v) {
      obs.visited.emplace_back(k, v);
      if (!mutate) return true;
      switch (w.below(8)) {
        case 0:
          map().erase(w, k);  // the visited key
          break;
        case 1:
          map().store(w, k, w.fresh_value(k));
          break;
        case 2:
          map().store(w, (k + 1) % keys_, w.fresh_value((k + 1) % keys_));
          break;
        case 3:
          map().map().range([](key_t, value_t) { return false; });  // nested, stops at once
          break;
        default:
          break;
      }
      return w.below(50) != 0;  // sometimes stop early
    });
    obs.response = lc::now();
    w.count(stat::range);
    observations_[w.index()].push_back(std::move(obs));
  }

  key_t keys_ = 0;
  // observations_[thread]: its range() calls this round; only its thread
  // appends, the coordinator reads between rounds.
  std::vector<std::vector<range_observation>> observations_;
};

}  // namespace

std::unique_ptr<workload> make_range_mutation() { return std::make_unique<range_mutation>(); }

}  // namespace syncmap_stress
