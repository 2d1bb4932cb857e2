// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The stress harness's framework: configuration, the per-thread worker, the
// recording map wrapper, and the workload interface.
//
// A run executes a workload in rounds. In each round every worker thread
// makes `round_ops` steps (each step an operation or two, chosen only from
// the worker's seeded generator, so a seed replays the same choices); then
// all workers stop at a barrier, the coordinator reads the final state of
// the keys touched (recorded too, so the read is checked), hands the round's
// logs to the linearizability checker (which runs concurrently with the next
// round), and starts the next round from the state it read.

#ifndef SYNCMAP_STRESS_HARNESS_HARNESS_HPP_
#define SYNCMAP_STRESS_HARNESS_HARNESS_HPP_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "checker.hpp"
#include "history.hpp"
#include "noise.hpp"
#include "recorded_ops.hpp"

namespace syncmap_stress {

namespace lc = lincheck;
using lc::key_t;
using lc::value_t;

// What the harness counts: the map operations the checker models, plus
// range() and size()/empty(), which it checks with workload invariants.
enum class stat : unsigned {
  load,
  contains,
  store,
  load_or_store,
  load_and_delete,
  erase,
  swap,
  compare_and_swap,
  compare_and_delete,
  clear,
  range,
  size,
  kCount
};
constexpr std::size_t kStatCount = static_cast<std::size_t>(stat::kCount);
const char* to_string(stat s) noexcept;
inline stat stat_of(lc::op_kind k) noexcept { return static_cast<stat>(static_cast<unsigned>(k)); }

struct config {
  std::string workload = "all";
  unsigned threads = 0;            // 0: twice the hardware threads
  double duration = 10.0;          // seconds per workload, unless ops > 0
  std::uint64_t ops = 0;           // total operations per workload (all threads); 0: use duration
  std::uint64_t seed = 0;          // 0: pick one (printed)
  unsigned keys = 64;              // key-space size, for the workloads that use one
  std::uint64_t round_ops = 1000;  // steps per thread per round
  unsigned checker_threads = 1;
  noise_config noise;
  std::string json;   // write a JSON report here if not empty
  std::string junit;  // write a JUnit XML report here if not empty
  bool list = false;
  bool help = false;
  bool progress = true;
  bool fail_fast = false;  // stop after the first workload that fails
  unsigned passes = 1;     // cycle through the workloads this many times, each for duration / passes
  // Bytes retired after which a thread collects (reclaim::set_collect_bytes):
  // far below the library's 128 KiB, so that the epoch advances often and a
  // reclamation bug has many chances to show in a short run.
  std::uint64_t collect_bytes = 256;
};

// Everything one workload run produced.
struct workload_result {
  std::string name;
  std::array<std::uint64_t, kStatCount> ops{};
  lc::check_stats checked;
  std::uint64_t violations = 0;          // linearizability violations proven
  std::uint64_t invariant_failures = 0;  // workload invariants broken
  std::vector<std::string> messages;     // the first failures, in full
  std::uint64_t rounds = 0;
  std::uint64_t delays = 0;  // schedule-point delays injected
  double seconds = 0;
  double check_seconds = 0;  // checker busy time (runs concurrently)
  bool passed() const { return violations == 0 && invariant_failures == 0; }
  std::uint64_t total_ops() const;
  // Adds another run of the same workload (a later pass) to this one.
  void merge(const workload_result& other);
};

// Where failures go: thread-safe, keeps the first few messages in full.
class failure_sink {
 public:
  void invariant(std::string message);
  void violation(std::string message);
  std::uint64_t invariant_failures() const { return invariants_.load(); }
  std::uint64_t violations() const { return violations_.load(); }
  bool any() const { return invariant_failures() + violations() > 0; }
  std::vector<std::string> messages() const;

 private:
  static constexpr std::size_t kMaxMessages = 8;
  std::atomic<std::uint64_t> invariants_{0};
  std::atomic<std::uint64_t> violations_{0};
  mutable std::mutex mu_;
  std::vector<std::string> messages_;  // guarded by mu_
};

// A worker thread's state. Only its thread touches it during a round; the
// coordinator reads it between rounds (ordered by the barrier).
class worker {
 public:
  worker(unsigned index, std::uint64_t seed, const std::string& workload, failure_sink& failures);

  unsigned index() const noexcept { return index_; }
  std::uint64_t random() { return rng_(); }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  // A value no other write in the run uses: (thread, counter) packed so
  // the checker can tell writes apart. `key` is folded into the top bits so
  // a value identifies its key too.
  value_t fresh_value(key_t key);
  // The key a value was made for by fresh_value().
  static key_t key_of(value_t v) noexcept { return v >> 40; }

  void record(const lc::operation& op) {
    log_.push_back(op);
    ++counts_[static_cast<std::size_t>(stat_of(op.kind))];
  }
  void count(stat s) { ++counts_[static_cast<std::size_t>(s)]; }
  void fail(std::string message) { failures_.invariant(std::move(message)); }

  std::vector<lc::operation>& log() noexcept { return log_; }
  const std::vector<lc::operation>& log() const noexcept { return log_; }
  const std::array<std::uint64_t, kStatCount>& counts() const noexcept { return counts_; }

 private:
  unsigned index_;
  std::mt19937_64 rng_;
  std::uint64_t counter_ = 0;
  std::vector<lc::operation> log_;
  std::array<std::uint64_t, kStatCount> counts_{};
  failure_sink& failures_;
};

// A sync_map<key_t, V> whose every operation is recorded, with invoke and
// response stamps, in the calling worker's log (lincheck/recorded_ops.hpp).
template <class V>
class recorded_map {
 public:
  using map_type = syncmap::sync_map<key_t, V>;

  map_type& map() noexcept { return map_; }

  std::optional<value_t> load(worker& w, key_t k) { return ops::load(map_, w.index(), k, log(w)); }
  bool contains(worker& w, key_t k) { return ops::contains(map_, w.index(), k, log(w)); }
  void store(worker& w, key_t k, value_t v) { ops::store(map_, w.index(), k, v, log(w)); }
  // Returns (actual, loaded).
  std::pair<value_t, bool> load_or_store(worker& w, key_t k, value_t v) {
    return ops::load_or_store(map_, w.index(), k, v, log(w));
  }
  std::optional<value_t> load_and_delete(worker& w, key_t k) {
    return ops::load_and_delete(map_, w.index(), k, log(w));
  }
  bool erase(worker& w, key_t k) { return ops::erase(map_, w.index(), k, log(w)); }
  std::optional<value_t> swap(worker& w, key_t k, value_t v) {
    return ops::swap(map_, w.index(), k, v, log(w));
  }
  bool compare_and_swap(worker& w, key_t k, value_t expected, value_t v) {
    return ops::compare_and_swap(map_, w.index(), k, expected, v, log(w));
  }
  bool compare_and_delete(worker& w, key_t k, value_t expected) {
    return ops::compare_and_delete(map_, w.index(), k, expected, log(w));
  }
  void clear(worker& w) { ops::clear(map_, w.index(), log(w)); }

 private:
  using ops = lc::recorded_ops<map_type>;

  static auto log(worker& w) {
    return [&w](const lc::operation& op) { w.record(op); };
  }

  map_type map_;
};

// A range() call and what it showed, for the range invariants.
struct range_observation {
  std::uint64_t invoke = 0;
  std::uint64_t response = 0;
  unsigned thread = 0;
  std::vector<std::pair<key_t, value_t>> visited;
};

// The coordinator's view of a finished round.
struct round_view {
  std::uint64_t number = 0;
  // Every worker's log of the round (and, last, the coordinator's final reads).
  std::vector<std::vector<lc::operation>*> logs;
  // The state the round started from (keys absent from it started absent).
  const std::map<key_t, std::optional<value_t>>* initial = nullptr;
};

class workload {
 public:
  virtual ~workload() = default;
  virtual const char* name() const = 0;
  virtual const char* description() const = 0;

  // Before the first round, on the coordinator.
  virtual void setup(const config& cfg) = 0;
  // What setup() put in the map (unrecorded): the first round's initial state.
  virtual std::map<key_t, std::optional<value_t>> initial_state() const { return {}; }
  // One step of a worker: an operation or a short sequence.
  virtual void step(worker& w) = 0;
  // Reads the final state of `keys` into the coordinator's log (recorded, so
  // that the checker validates it) and returns it; all workers are stopped.
  virtual std::map<key_t, std::optional<value_t>> read_final(worker& coordinator,
                                                             const std::vector<key_t>& keys) = 0;
  // Workload invariants over a finished round (after read_final).
  virtual void check_round(const round_view& round, failure_sink& failures) {
    static_cast<void>(round);
    static_cast<void>(failures);
  }
  // After the last round; destroys what the workload built.
  virtual void finish(failure_sink& failures) { static_cast<void>(failures); }
  // Whether every round runs on newly created threads (thread churn).
  virtual bool fresh_threads_each_round() const { return false; }
};

// A workload over one recorded_map<V>: implements read_final().
template <class V>
class map_workload : public workload {
 public:
  std::map<key_t, std::optional<value_t>> read_final(worker& coordinator,
                                                     const std::vector<key_t>& keys) override {
    std::map<key_t, std::optional<value_t>> out;
    for (const key_t k : keys) out[k] = map_->load(coordinator, k);
    return out;
  }

 protected:
  void make_map() { map_ = std::make_unique<recorded_map<V>>(); }
  void drop_map() { map_.reset(); }
  recorded_map<V>& map() { return *map_; }

 private:
  std::unique_ptr<recorded_map<V>> map_;
};

// The registry: every workload, in the order `--workload all` runs them.
std::vector<std::unique_ptr<workload>> make_workloads();

// Runs one workload to completion (or to its first failure).
workload_result run_workload(workload& wl, const config& cfg);

// The range() invariants over one round: no key twice, and every (key,
// value) shown was the key's value at some instant of the call (as far as
// the recorded history can tell). Reports to `failures`.
void check_range_observations(const std::vector<range_observation>& ranges, const round_view& round,
                              const std::string& workload, failure_sink& failures);

}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_HARNESS_HARNESS_HPP_
