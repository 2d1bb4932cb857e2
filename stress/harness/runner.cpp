// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The round runner: worker threads, the per-round barrier, the coordinator's
// final reads, and the linearizability checker running concurrently.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace syncmap_stress {

const char* to_string(stat s) noexcept {
  switch (s) {
    case stat::range:
      return "range";
    case stat::size:
      return "size";
    case stat::kCount:
      return "?";
    default:
      return lc::to_string(static_cast<lc::op_kind>(static_cast<unsigned>(s)));
  }
}

void workload_result::merge(const workload_result& other) {
  if (name.empty()) name = other.name;
  for (std::size_t s = 0; s < kStatCount; ++s) ops[s] += other.ops[s];
  checked.histories += other.checked.histories;
  checked.operations += other.checked.operations;
  checked.states_explored += other.checked.states_explored;
  checked.inconclusive += other.checked.inconclusive;
  violations += other.violations;
  invariant_failures += other.invariant_failures;
  for (const std::string& m : other.messages) {
    if (messages.size() < 8) messages.push_back(m);
  }
  rounds += other.rounds;
  delays += other.delays;
  seconds += other.seconds;
  check_seconds += other.check_seconds;
}

std::uint64_t workload_result::total_ops() const {
  std::uint64_t n = 0;
  for (const std::uint64_t c : ops) n += c;
  return n;
}

void failure_sink::invariant(std::string message) {
  invariants_.fetch_add(1);
  const std::lock_guard<std::mutex> lock(mu_);
  if (messages_.size() < kMaxMessages) messages_.push_back(std::move(message));
}

void failure_sink::violation(std::string message) {
  violations_.fetch_add(1);
  const std::lock_guard<std::mutex> lock(mu_);
  if (messages_.size() < kMaxMessages) messages_.push_back(std::move(message));
}

std::vector<std::string> failure_sink::messages() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

namespace {

std::uint64_t mix_seed(std::uint64_t seed, const std::string& name, unsigned index) {
  std::uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return h ^ (std::uint64_t{index} * 0xBF58476D1CE4E5B9ULL);
}

}  // namespace

worker::worker(unsigned index, std::uint64_t seed, const std::string& workload, failure_sink& failures)
    : index_(index), rng_(mix_seed(seed, workload, index)), failures_(failures) {}

value_t worker::fresh_value(key_t key) {
  // key: bits 40..62, thread: bits 32..39, counter: bits 0..31.
  ++counter_;
  return (static_cast<value_t>(key) << 40) | (static_cast<value_t>(index_ & 0xFF) << 32) |
         static_cast<value_t>(counter_ & 0xFFFFFFFFULL);
}

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// One round's logs on their way to the checker.
struct batch {
  std::uint64_t round = 0;
  std::vector<std::vector<lc::operation>> logs;
  std::map<key_t, std::optional<value_t>> initial;
};

std::string describe_state(const std::optional<value_t>& v) {
  return v ? std::to_string(*v) : std::string("absent");
}

// Checks batches on its own thread(s) while the next rounds run.
class checker_pipeline {
 public:
  checker_pipeline(const config& cfg, const std::string& workload, failure_sink& failures)
      : cfg_(cfg), workload_(workload), failures_(failures), thread_([this] { loop(); }) {}
  ~checker_pipeline() {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  checker_pipeline(const checker_pipeline&) = delete;
  checker_pipeline& operator=(const checker_pipeline&) = delete;

  // Queues a batch; waits while too many are queued (so that checking
  // keeps up with the run instead of buffering it).
  void submit(batch b) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
    queue_.push_back(std::move(b));
    cv_.notify_all();
  }

  // Waits until every submitted batch is checked.
  void drain() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

  lc::check_stats stats() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }
  double busy_seconds() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return busy_seconds_;
  }

 private:
  static constexpr std::size_t kMaxQueued = 4;

  void loop() {
    for (;;) {
      batch b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;
        b = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        space_.notify_all();
      }
      const auto start = clock_type::now();
      std::vector<const std::vector<lc::operation>*> logs;
      logs.reserve(b.logs.size());
      for (const auto& l : b.logs) logs.push_back(&l);
      const lc::check_result r = lc::check_histories(logs, b.initial, cfg_.checker_threads);
      if (!r.linearizable && r.first_violation) report(b, *r.first_violation);
      const double spent = seconds_since(start);
      {
        const std::lock_guard<std::mutex> lock(mu_);
        stats_.histories += r.stats.histories;
        stats_.operations += r.stats.operations;
        stats_.states_explored += r.stats.states_explored;
        stats_.inconclusive += r.stats.inconclusive;
        busy_seconds_ += spent;
        busy_ = false;
      }
      idle_.notify_all();
    }
  }

  void report(const batch& b, const lc::violation& v) {
    std::ostringstream out;
    out << "linearizability violation: workload " << workload_ << ", seed " << cfg_.seed << ", round "
        << b.round << ", key " << v.key << " (state at round start: " << describe_state(v.initial) << ")\n"
        << "  " << v.explanation << "\n  operations (stamps in TSC ticks):";
    for (const lc::operation& op : v.ops) out << "\n    " << lc::describe(op);
    failures_.violation(out.str());
  }

  const config& cfg_;
  const std::string workload_;
  failure_sink& failures_;
  mutable std::mutex mu_;
  std::condition_variable cv_;     // work queued or closing
  std::condition_variable space_;  // room in the queue
  std::condition_variable idle_;   // queue empty and not busy
  std::deque<batch> queue_;        // guarded by mu_
  bool busy_ = false;              // guarded by mu_
  bool closing_ = false;           // guarded by mu_
  lc::check_stats stats_;          // guarded by mu_
  double busy_seconds_ = 0;        // guarded by mu_
  std::thread thread_;             // last: starts after the members above exist
};

// Persistent worker threads that run one round at a time.
class round_gate {
 public:
  // Coordinator: lets every worker run round `r` (or exit if r == 0).
  void start(std::uint64_t r, unsigned workers) {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      round_ = r;
      running_ = workers;
    }
    cv_.notify_all();
  }
  // Coordinator: waits until every worker finished the round.
  void wait_done() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return running_ == 0; });
  }
  // Worker: waits for a round after `last`; returns it (0: exit).
  std::uint64_t wait_start(std::uint64_t last) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return round_ != last; });
    return round_;
  }
  // Worker: done with the round.
  void done() {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      --running_;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t round_ = ~std::uint64_t{0};  // guarded by mu_
  unsigned running_ = 0;                     // guarded by mu_
};

void run_steps(workload& wl, worker& w, const config& cfg) {
  for (std::uint64_t i = 0; i < cfg.round_ops; ++i) wl.step(w);
}

std::vector<key_t> keys_to_read(const std::vector<worker*>& workers,
                                const std::map<key_t, std::optional<value_t>>& initial) {
  std::set<key_t> keys;
  for (const auto& kv : initial) keys.insert(kv.first);
  for (const worker* w : workers) {
    for (const lc::operation& op : w->log()) {
      if (op.kind != lc::op_kind::clear) keys.insert(op.key);
    }
  }
  return {keys.begin(), keys.end()};
}

}  // namespace

workload_result run_workload(workload& wl, const config& cfg) {
  workload_result res;
  res.name = wl.name();
  failure_sink failures;
  const unsigned n = cfg.threads;
  const auto start = clock_type::now();
  const std::uint64_t delays_before = injected_delays();

  wl.setup(cfg);
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<worker*> all;
  workers.reserve(n);
  all.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    workers.push_back(std::make_unique<worker>(i, cfg.seed, res.name, failures));
    all.push_back(workers.back().get());
  }
  worker coordinator(n, cfg.seed, res.name, failures);

  round_gate gate;
  std::vector<std::thread> threads;
  if (!wl.fresh_threads_each_round()) {
    for (unsigned i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        seed_noise_for_this_thread(cfg.seed, i);
        for (std::uint64_t last = ~std::uint64_t{0};;) {
          last = gate.wait_start(last);
          if (last == 0) return;
          run_steps(wl, *workers[i], cfg);
          gate.done();
        }
      });
    }
  }

  // The state at the start of the round (keys not in it are absent).
  std::map<key_t, std::optional<value_t>> initial = wl.initial_state();
  auto last_progress = start;
  {
    checker_pipeline checker(cfg, res.name, failures);
    for (std::uint64_t round = 1;; ++round) {
      if (wl.fresh_threads_each_round()) {
        std::vector<std::thread> fresh;
        for (unsigned i = 0; i < n; ++i) {
          fresh.emplace_back([&, i] {
            seed_noise_for_this_thread(cfg.seed ^ round, i);
            run_steps(wl, *workers[i], cfg);
          });
        }
        for (auto& t : fresh) t.join();
      } else {
        gate.start(round, n);
        gate.wait_done();
      }
      res.rounds = round;

      // All workers are stopped: read the final state, check the round.
      const std::vector<key_t> keys = keys_to_read(all, initial);
      std::map<key_t, std::optional<value_t>> final_state = wl.read_final(coordinator, keys);
      round_view view;
      view.number = round;
      view.initial = &initial;
      for (worker* w : all) view.logs.push_back(&w->log());
      view.logs.push_back(&coordinator.log());
      wl.check_round(view, failures);

      batch b;
      b.round = round;
      b.initial = std::move(initial);
      for (worker* w : all) {
        b.logs.push_back(std::move(w->log()));
        w->log().clear();
      }
      b.logs.push_back(std::move(coordinator.log()));
      coordinator.log().clear();
      checker.submit(std::move(b));
      // Absent is the default: carry only the present keys, so the state does
      // not grow with every key a workload ever touched.
      initial.clear();
      for (auto& kv : final_state) {
        if (kv.second) initial.insert(kv);
      }

      std::uint64_t ops = 0;
      for (const worker* w : all) {
        for (const std::uint64_t c : w->counts()) ops += c;
      }
      const double elapsed = seconds_since(start);
      if (cfg.progress && seconds_since(last_progress) >= 1.0) {
        last_progress = clock_type::now();
        const lc::check_stats st = checker.stats();
        const unsigned long long failed = failures.violations() + failures.invariant_failures();
        std::fprintf(stderr, "  [%s] %5.1fs  %8.0f ops/s  %zu histories (%zu ops) checked  %llu failures\n",
                     res.name.c_str(), elapsed, static_cast<double>(ops) / elapsed, st.histories,
                     st.operations, failed);
      }
      const bool enough = cfg.ops > 0 ? ops >= cfg.ops : elapsed >= cfg.duration;
      if (enough || failures.any()) break;
    }
    if (!wl.fresh_threads_each_round()) {
      gate.start(0, n);
      for (auto& t : threads) t.join();
    }
    checker.drain();
    res.checked = checker.stats();
    res.check_seconds = checker.busy_seconds();
  }
  wl.finish(failures);

  for (const worker* w : all) {
    for (std::size_t s = 0; s < kStatCount; ++s) res.ops[s] += w->counts()[s];
  }
  res.seconds = seconds_since(start);
  res.delays = injected_delays() - delays_before;
  res.violations = failures.violations();
  res.invariant_failures = failures.invariant_failures();
  res.messages = failures.messages();
  return res;
}

// ---- range() invariants ----

namespace {

// Whether op, which succeeded as recorded, changed its key's value.
bool changes_value(const lc::operation& op) {
  switch (op.kind) {
    case lc::op_kind::store:
    case lc::op_kind::swap:
    case lc::op_kind::clear:
      return true;
    case lc::op_kind::load_or_store:
      return !op.ok;
    case lc::op_kind::load_and_delete:
    case lc::op_kind::erase:
    case lc::op_kind::compare_and_swap:
    case lc::op_kind::compare_and_delete:
      return op.ok;
    default:
      return false;
  }
}

// The value op wrote, if it wrote one.
std::optional<value_t> written_value(const lc::operation& op) {
  switch (op.kind) {
    case lc::op_kind::store:
    case lc::op_kind::swap:
      return op.arg;
    case lc::op_kind::load_or_store:
      return op.ok ? std::nullopt : std::optional<value_t>(op.arg);
    case lc::op_kind::compare_and_swap:
      return op.ok ? std::optional<value_t>(op.arg) : std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

void check_range_observations(const std::vector<range_observation>& ranges, const round_view& round,
                              const std::string& workload, failure_sink& failures) {
  if (ranges.empty()) return;
  std::map<value_t, const lc::operation*> writer;              // the op that wrote each value
  std::map<key_t, std::vector<const lc::operation*>> changes;  // value-changing ops per key
  std::vector<const lc::operation*> clears;
  for (const auto* log : round.logs) {
    for (const lc::operation& op : *log) {
      if (const auto v = written_value(op)) writer[*v] = &op;
      if (!changes_value(op)) continue;
      if (op.kind == lc::op_kind::clear) {
        clears.push_back(&op);
      } else {
        changes[op.key].push_back(&op);
      }
    }
  }
  for (const range_observation& r : ranges) {
    std::set<key_t> seen;
    for (const auto& [k, v] : r.visited) {
      std::ostringstream why;
      if (!seen.insert(k).second) why << "key " << k << " visited twice";
      const lc::operation* w = nullptr;
      if (why.str().empty()) {
        const auto it = writer.find(v);
        const auto init = round.initial->find(k);
        const bool was_initial = init != round.initial->end() && init->second == v;
        if (it != writer.end()) {
          w = it->second;
          if (w->key != k) {
            why << "key " << k << " shown with value " << v << ", which was written to key " << w->key;
          } else if (w->invoke > r.response) {
            why << "key " << k << " shown with value " << v << ", written only after range() returned";
          }
        } else if (!was_initial) {
          why << "key " << k << " shown with value " << v << ", which no operation wrote";
        }
      }
      if (why.str().empty()) {
        // The value must not have been replaced, after it was written,
        // by an operation that completed before range() started.
        auto replaced_before_start = [&](const lc::operation* x) {
          return x != w && (w == nullptr || w->response < x->invoke) && x->response < r.invoke;
        };
        for (const lc::operation* x : changes[k]) {
          if (replaced_before_start(x)) {
            why << "key " << k << " shown with value " << v << ", replaced before range() started by "
                << lc::describe(*x);
            break;
          }
        }
        for (const lc::operation* x : clears) {
          if (why.str().empty() && replaced_before_start(x)) {
            why << "key " << k << " shown with value " << v << ", cleared before range() started by "
                << lc::describe(*x);
          }
        }
      }
      if (!why.str().empty()) {
        std::ostringstream out;
        out << "range invariant: workload " << workload << ", round " << round.number << ", T" << r.thread
            << " range() [" << r.invoke << "," << r.response << "]: " << why.str();
        if (w != nullptr) out << "\n    written by " << lc::describe(*w);
        failures.invariant(out.str());
        return;
      }
    }
  }
}

}  // namespace syncmap_stress
