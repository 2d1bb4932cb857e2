// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// size_bounds: half of the threads each own a pair of keys and keep one or
// both of them present at every instant (store the absent one, then erase
// the other); the other half call size() and empty(). Invariant: size() is a
// size the map had at one instant, so it lies in [pairs, 2 * pairs], and
// empty() is false.

#include <string>
#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class size_bounds final : public map_workload<value_t> {
 public:
  const char* name() const override { return "size_bounds"; }
  const char* description() const override {
    return "writers keep 1-2 of their pair of keys present; size() must stay within [pairs, 2*pairs]";
  }

  void setup(const config& cfg) override {
    make_map();
    pairs_ = std::max(1U, cfg.threads / 2);
    present_.assign(pairs_, 0);
    initial_.clear();
    for (unsigned p = 0; p < pairs_; ++p) {
      const key_t k = 2 * static_cast<key_t>(p);
      const value_t v = (k << 40) | 1;
      map().map().store(k, v);
      initial_[k] = v;
    }
  }

  std::map<key_t, std::optional<value_t>> initial_state() const override { return initial_; }

  void step(worker& w) override {
    if (w.index() < pairs_) {  // a writer: move its present key to the other slot of its pair
      const key_t base = 2 * static_cast<key_t>(w.index());
      const key_t from = base + present_[w.index()];
      const key_t to = base + (1 - present_[w.index()]);
      map().store(w, to, w.fresh_value(to));
      map().erase(w, from);
      present_[w.index()] = static_cast<key_t>(1 - present_[w.index()]);
      return;
    }
    const std::size_t n = map().map().size();
    w.count(stat::size);
    if (n < pairs_ || n > 2 * static_cast<std::size_t>(pairs_)) {
      w.fail("invariant: workload size_bounds: size() returned " + std::to_string(n) +
             " while every instant had " + "between " + std::to_string(pairs_) + " and " +
             std::to_string(2 * pairs_) + " keys");
    }
    if (map().map().empty()) w.fail("invariant: workload size_bounds: empty() returned true");
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  unsigned pairs_ = 1;
  // present_[writer]: which key of its pair is present (0 or 1); only the
  // writer touches it.
  std::vector<key_t> present_;
  std::map<key_t, std::optional<value_t>> initial_;
};

}  // namespace

std::unique_ptr<workload> make_size_bounds() { return std::make_unique<size_bounds>(); }

}  // namespace syncmap_stress
