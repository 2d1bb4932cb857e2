// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// churn: store/erase cycles on a few hot keys that push entries through
// value -> nil -> expunged -> value, while loads of missing keys force
// promotions (each counts a miss). Every operation kind takes part.
// Invariant: a value read for a key was written for that key.

#include <string>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class churn final : public map_workload<value_t> {
 public:
  const char* name() const override { return "churn"; }
  const char* description() const override {
    return "store/erase cycles on hot keys through value, nil, expunged; misses force promotions";
  }

  void setup(const config& cfg) override {
    make_map();
    keys_ = std::max<key_t>(2, std::min<key_t>(16, static_cast<key_t>(cfg.keys)));
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    const value_t v = w.fresh_value(k);
    switch (w.below(12)) {
      case 0:
      case 1:
        map().store(w, k, v);
        break;
      case 2:
        map().erase(w, k);
        break;
      case 3:
        belongs(w, k, map().load_and_delete(w, k));
        break;
      case 4: {
        const auto seen = map().load(w, k);
        belongs(w, k, seen);
        if (seen) map().compare_and_delete(w, k, *seen);
        break;
      }
      case 5: {
        const auto [actual, loaded] = map().load_or_store(w, k, v);
        belongs(w, k, actual);
        static_cast<void>(loaded);
        break;
      }
      case 6:
        belongs(w, k, map().swap(w, k, v));
        break;
      case 7: {
        const auto seen = map().load(w, k);
        belongs(w, k, seen);
        if (seen) map().compare_and_swap(w, k, *seen, v);
        break;
      }
      case 8:
      case 9:
        // A key the map never holds: a miss, which counts towards promotion
        // whenever the snapshot is amended.
        map().load(w, keys_ + static_cast<key_t>(w.below(4)));
        break;
      case 10:
        map().contains(w, k);
        break;
      default:
        belongs(w, k, map().load(w, k));
        break;
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  static void belongs(worker& w, key_t k, std::optional<value_t> v) {
    if (v) belongs(w, k, *v);
  }
  static void belongs(worker& w, key_t k, value_t v) {
    if (worker::key_of(v) != k) {
      w.fail("invariant: workload churn, key " + std::to_string(k) + ": read value " + std::to_string(v) +
             ", written for key " + std::to_string(worker::key_of(v)));
    }
  }

  key_t keys_ = 0;
};

}  // namespace

std::unique_ptr<workload> make_churn() { return std::make_unique<churn>(); }

}  // namespace syncmap_stress
