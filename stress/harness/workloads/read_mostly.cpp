// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// read_mostly: Go's first use case, a cache that only grows. Every key has
// one value, written at most once (load_or_store races to write it); almost
// every operation is a read. Invariants: a key's value never differs from its
// one value, and a key a thread has seen present stays present for it.

#include <vector>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

class read_mostly final : public map_workload<value_t> {
 public:
  const char* name() const override { return "read_mostly"; }
  const char* description() const override {
    return "a growing cache: keys written once by load_or_store races, then read many times";
  }

  void setup(const config& cfg) override {
    make_map();
    keys_ = static_cast<key_t>(cfg.keys) * 16;  // a cache is larger than the hot sets
    seen_.assign(cfg.threads, std::vector<char>(static_cast<std::size_t>(keys_), 0));
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    auto& seen = seen_[w.index()][static_cast<std::size_t>(k)];
    const std::uint64_t dice = w.below(100);
    if (dice < 90) {
      const auto v = map().load(w, k);
      if (v && *v != value_of(k)) w.fail(message(k, "load returned a value never written", *v));
      if (!v && seen != 0) w.fail(message(k, "load found absent a key this thread saw present", 0));
      if (v) seen = 1;
    } else if (dice < 95) {
      const bool present = map().contains(w, k);
      if (!present && seen != 0) w.fail(message(k, "contains() lost a key this thread saw present", 0));
      if (present) seen = 1;
    } else {
      const auto [actual, loaded] = map().load_or_store(w, k, value_of(k));
      if (actual != value_of(k)) w.fail(message(k, "load_or_store returned a value never written", actual));
      if (!loaded && seen != 0) w.fail(message(k, "load_or_store stored over a key seen present", actual));
      seen = 1;
    }
  }

  void finish(failure_sink&) override { drop_map(); }

 private:
  static value_t value_of(key_t k) { return (static_cast<value_t>(k) << 40) | 0xCAFE; }
  std::string message(key_t k, const char* what, value_t v) const {
    return std::string("invariant: workload read_mostly, key ") + std::to_string(k) + ": " + what +
           " (value " + std::to_string(v) + ")";
  }

  key_t keys_ = 0;
  // seen_[thread][key]: the thread observed the key present. Each row is
  // touched only by its thread during a round.
  std::vector<std::vector<char>> seen_;
};

}  // namespace

std::unique_ptr<workload> make_read_mostly() { return std::make_unique<read_mostly>(); }

}  // namespace syncmap_stress
