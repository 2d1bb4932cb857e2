// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// clear_under_load: readers and writers on a key range while threads clear
// the whole map now and then. clear() is recorded and projected into every
// key's history, so a value that survives a completed clear() is a
// linearizability violation.

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class clear_under_load final : public map_workload<value_t> {
 public:
  const char* name() const override { return "clear_under_load"; }
  const char* description() const override {
    return "mixed reads and writes while the map is cleared under them";
  }

  void setup(const config& cfg) override {
    make_map();
    keys_ = static_cast<key_t>(std::max(4U, cfg.keys));
  }

  void step(worker& w) override {
    if (w.below(300) == 0) {
      map().clear(w);
      return;
    }
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    switch (w.below(6)) {
      case 0:
      case 1:
        map().store(w, k, w.fresh_value(k));
        break;
      case 2:
        map().erase(w, k);
        break;
      case 3:
        map().load_or_store(w, k, w.fresh_value(k));
        break;
      default:
        map().load(w, k);
        break;
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  key_t keys_ = 0;
};

}  // namespace

std::unique_ptr<workload> make_clear_under_load() { return std::make_unique<clear_under_load>(); }

}  // namespace syncmap_stress
