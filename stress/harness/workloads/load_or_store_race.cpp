// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// load_or_store_race: every round, all threads race load_or_store on the
// same block of fresh keys, each offering its own value, walking the block
// in the same (per-round random) order so that they collide on each key at
// about the same instant. Invariant: per key, exactly one call stored, and
// every call returned the winner's value. Keys of older blocks are erased to
// bound the map.

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class load_or_store_race final : public map_workload<value_t> {
 public:
  const char* name() const override { return "load_or_store_race"; }
  const char* description() const override {
    return "all threads race load_or_store on the same fresh keys at once; they must agree on one winner";
  }

  void setup(const config& cfg) override {
    make_map();
    block_ = static_cast<key_t>(std::min<std::uint64_t>(cfg.round_ops, 4096));
    seed_ = cfg.seed;
    round_ops_ = cfg.round_ops;
    threads_ = cfg.threads;
    state_.assign(cfg.threads, {});
  }

  void step(worker& w) override {
    thread_state& t = state_[w.index()];
    const std::uint64_t round = t.steps / round_ops_;
    const std::uint64_t i = t.steps % round_ops_;
    ++t.steps;
    if (i == 0) {  // a new round: the round's order over the block, the same for every thread
      t.order.resize(static_cast<std::size_t>(block_));
      for (key_t j = 0; j < block_; ++j) t.order[static_cast<std::size_t>(j)] = j;
      std::mt19937_64 shared(seed_ ^ (round * 0x9E3779B97F4A7C15ULL));
      for (std::size_t j = t.order.size(); j > 1; --j) std::swap(t.order[j - 1], t.order[shared() % j]);
    }
    if (static_cast<key_t>(i) >= block_) return;
    const key_t slot = t.order[i];
    const key_t k = static_cast<key_t>(round) * block_ + slot;
    map().load_or_store(w, k, w.fresh_value(k));
    // Retire keys from two rounds ago (nobody races on them any more).
    if (round >= 2 && slot % static_cast<key_t>(threads_) == static_cast<key_t>(w.index())) {
      map().erase(w, static_cast<key_t>(round - 2) * block_ + slot);
    }
  }

  void check_round(const round_view& round, failure_sink& failures) override {
    struct tally {
      int stored = 0;
      value_t winner = 0;
      std::vector<value_t> returned;
    };
    std::map<key_t, tally> keys;
    for (const auto* log : round.logs) {
      for (const lc::operation& op : *log) {
        if (op.kind != lc::op_kind::load_or_store) continue;
        tally& t = keys[op.key];
        if (!op.ok) {
          ++t.stored;
          t.winner = op.arg;
        }
        t.returned.push_back(op.value);
      }
    }
    for (const auto& kv : keys) {
      const key_t k = kv.first;
      const tally& t = kv.second;
      const value_t winner = t.winner;
      const bool agree =
          std::all_of(t.returned.begin(), t.returned.end(), [winner](value_t v) { return v == winner; });
      if (t.stored != 1 || !agree) {
        failures.invariant("invariant: workload load_or_store_race, round " + std::to_string(round.number) +
                           ", key " + std::to_string(k) + ": " + std::to_string(t.stored) +
                           " calls stored, " + (agree ? "all" : "not all") + " returned the winner's value");
        return;
      }
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  struct thread_state {
    std::uint64_t steps = 0;
    std::vector<key_t> order;
  };
  key_t block_ = 0;
  std::uint64_t seed_ = 0;
  std::uint64_t round_ops_ = 1;
  unsigned threads_ = 1;
  // state_[thread]: only its thread touches it.
  std::vector<thread_state> state_;
};

}  // namespace

std::unique_ptr<workload> make_load_or_store_race() { return std::make_unique<load_or_store_race>(); }

}  // namespace syncmap_stress
