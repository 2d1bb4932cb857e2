// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// disjoint_writers: Go's second use case. Each thread owns a range of keys:
// it writes, overwrites and deletes only its own keys (and reads the others'
// too). Invariant: on its own keys a thread sees exactly its own writes,
// checked against its private sequential model after every call.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class disjoint_writers final : public map_workload<value_t> {
 public:
  const char* name() const override { return "disjoint_writers"; }
  const char* description() const override {
    return "each thread owns a key range and checks every result on it against its own model";
  }

  void setup(const config& cfg) override {
    make_map();
    per_thread_ = std::max<key_t>(4, static_cast<key_t>(cfg.keys / std::max(1U, cfg.threads)));
    threads_ = cfg.threads;
    models_.assign(cfg.threads, {});
  }

  void step(worker& w) override {
    auto& model = models_[w.index()];
    if (w.below(10) == 0) {  // read someone else's key: checked by the checker only
      const key_t other = static_cast<key_t>(w.below(threads_)) * per_thread_ +
                          static_cast<key_t>(w.below(static_cast<std::uint64_t>(per_thread_)));
      map().load(w, other);
      return;
    }
    const key_t k = static_cast<key_t>(w.index()) * per_thread_ +
                    static_cast<key_t>(w.below(static_cast<std::uint64_t>(per_thread_)));
    const auto it = model.find(k);
    // The model's view of k: present (with its value) or absent. (Kept as a
    // flag and a value rather than an optional: g++ -O3 reports a bogus
    // maybe-uninitialized on optional comparisons here.)
    const bool present = it != model.end();
    const value_t expected = present ? it->second : 0;
    auto same = [&](const std::optional<value_t>& got) {
      return got.has_value() == present && got.value_or(0) == expected;
    };
    const value_t v = w.fresh_value(k);
    switch (w.below(7)) {
      case 0:
        map().store(w, k, v);
        model[k] = v;
        break;
      case 1:
        expect(w, k, "erase", map().erase(w, k) == present);
        model.erase(k);
        break;
      case 2:
        expect(w, k, "swap", same(map().swap(w, k, v)));
        model[k] = v;
        break;
      case 3: {
        const auto [actual, loaded] = map().load_or_store(w, k, v);
        expect(w, k, "load_or_store", loaded == present && actual == (present ? expected : v));
        if (!loaded) model[k] = v;
        break;
      }
      case 4:
        expect(w, k, "compare_and_swap", map().compare_and_swap(w, k, present ? expected : -1, v) == present);
        if (present) model[k] = v;
        break;
      case 5:
        expect(w, k, "load_and_delete", same(map().load_and_delete(w, k)));
        model.erase(k);
        break;
      default:
        expect(w, k, "load", same(map().load(w, k)));
        break;
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  static void expect(worker& w, key_t k, const char* op, bool ok) {
    if (!ok) {
      w.fail("invariant: workload disjoint_writers, T" + std::to_string(w.index()) + ", own key " +
             std::to_string(k) + ": " + op + " disagrees with the thread's own writes");
    }
  }

  key_t per_thread_ = 0;
  unsigned threads_ = 0;
  // models_[thread]: the thread's keys and values; only its thread touches it.
  std::vector<std::map<key_t, value_t>> models_;
};

}  // namespace

std::unique_ptr<workload> make_disjoint_writers() { return std::make_unique<disjoint_writers>(); }

}  // namespace syncmap_stress
