// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// value_lifetime: a map whose values count their constructions and
// destructions and detect a destruction of a dead object. Every operation
// kind runs, including clear(). Invariants: after the run and the map's
// destruction, every value constructed was destroyed exactly once.

#include <atomic>
#include <cstdint>
#include <string>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

// Counts live objects; a destructor that finds a dead or wild object counts
// a bad destruction (double destroy, or destroying what was never built).
class counted_value {
 public:
  static inline std::atomic<std::int64_t> alive{0};
  static inline std::atomic<std::int64_t> bad{0};

  explicit counted_value(value_t v) : value_(v) { alive.fetch_add(1, std::memory_order_relaxed); }
  counted_value(const counted_value& o) : value_(o.get()) { alive.fetch_add(1, std::memory_order_relaxed); }
  counted_value& operator=(const counted_value& o) {
    value_ = o.get();
    return *this;
  }
  ~counted_value() {
    if (magic_ != kAlive) bad.fetch_add(1, std::memory_order_relaxed);
    magic_ = kDead;
    alive.fetch_sub(1, std::memory_order_relaxed);
  }

  value_t get() const {
    if (magic_ != kAlive) bad.fetch_add(1, std::memory_order_relaxed);  // read of a dead value
    return value_;
  }
  friend bool operator==(const counted_value& a, const counted_value& b) { return a.get() == b.get(); }

 private:
  static constexpr std::uint64_t kAlive = 0x600DF00D600DF00DULL;
  static constexpr std::uint64_t kDead = 0xDEADBEEFDEADBEEFULL;
  std::uint64_t magic_ = kAlive;
  value_t value_;
};

}  // namespace

template <>
struct lc::value_codec<counted_value> {
  static counted_value make(value_t v) { return counted_value(v); }
  static value_t get(const counted_value& v) { return v.get(); }
};

namespace {

class value_lifetime final : public map_workload<counted_value> {
 public:
  const char* name() const override { return "value_lifetime"; }
  const char* description() const override {
    return "values count constructions and destructions: none leaked, none destroyed twice";
  }

  void setup(const config& cfg) override {
    alive_before_ = counted_value::alive.load();
    bad_before_ = counted_value::bad.load();
    make_map();
    keys_ = static_cast<key_t>(std::max(4U, std::min(cfg.keys, 64U)));
  }

  void step(worker& w) override {
    const key_t k = static_cast<key_t>(w.below(static_cast<std::uint64_t>(keys_)));
    const value_t v = w.fresh_value(k);
    switch (w.below(10)) {
      case 0:
      case 1:
        map().store(w, k, v);
        break;
      case 2:
        map().erase(w, k);
        break;
      case 3:
        map().swap(w, k, v);
        break;
      case 4:
        map().load_or_store(w, k, v);
        break;
      case 5:
        map().load_and_delete(w, k);
        break;
      case 6:
        if (const auto seen = map().load(w, k)) map().compare_and_swap(w, k, *seen, v);
        break;
      case 7:
        if (const auto seen = map().load(w, k)) map().compare_and_delete(w, k, *seen);
        break;
      case 8:
        if (w.below(50) == 0) map().clear(w);
        break;
      default:
        map().load(w, k);
        break;
    }
  }

  void finish(failure_sink& failures) override {
    drop_map();  // the destructor frees the live values and drains the retired ones
    const std::int64_t leaked = counted_value::alive.load() - alive_before_;
    const std::int64_t bad = counted_value::bad.load() - bad_before_;
    if (leaked != 0 || bad != 0) {
      failures.invariant("invariant: workload value_lifetime: after the map's destruction " +
                         std::to_string(leaked) + " values are still alive and " + std::to_string(bad) +
                         " were destroyed twice or used after destruction");
    }
  }

 private:
  key_t keys_ = 0;
  std::int64_t alive_before_ = 0;
  std::int64_t bad_before_ = 0;
};

}  // namespace

std::unique_ptr<workload> make_value_lifetime() { return std::make_unique<value_lifetime>(); }

}  // namespace syncmap_stress
