// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The two checked_map workloads (docs/checked_map.md):
//
// checked_map_unlocked: every worker calls one checked_map<unordered_map>
// (mode `on`) with no lock: the misuse checked_map exists to catch. The
// handler counts and throws, so a reported call leaves before it touches the
// container; the calls that were let through are ordered by the map's state
// word (detail/misuse_check.hpp), so the container itself never races and
// the workload runs under TSan. One write in 32 is slow (its value's
// constructor sleeps 100 us inside the write), so that overlaps happen even
// on one core. Passes iff a misuse was reported, the first within
// kReportBound of the start.
//
// checked_map_locked: the same calls, iteration and erase-while-iterating
// too, under one mutex, on a map in mode `on` and one in mode `sampled`
// (period 3). Passes iff nothing is ever reported.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <syncmap/checked_map.hpp>

#include "../harness.hpp"
#include "registry.hpp"

namespace syncmap_stress {
namespace {

using clock_type = std::chrono::steady_clock;

// Handler state: a handler is a plain function, so it lives here.
std::atomic<std::uint64_t> g_reports{0};
std::atomic<std::int64_t> g_first_report_ns{0};  // since g_start_ns; 0: none yet
std::atomic<std::int64_t> g_start_ns{0};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

void count_and_throw(const syncmap::misuse_report& r) {
  if (g_reports.fetch_add(1) == 0) {
    g_first_report_ns.store(std::max<std::int64_t>(1, now_ns() - g_start_ns.load()));
  }
  throw syncmap::misuse_error(r);
}

void reset_reports() {
  g_reports = 0;
  g_first_report_ns = 0;
  g_start_ns = now_ns();
}

// A value whose construction may take a while: widens a write's window.
struct slow_value {
  explicit slow_value(std::int64_t v, bool slow = false) : value(v) {
    if (slow) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  std::int64_t value;
};

using unlocked_map =
    syncmap::checked_map<std::unordered_map<std::int64_t, slow_value>, syncmap::check_mode::on>;

class checked_map_unlocked final : public workload {
 public:
  static constexpr double kReportBound = 2.0;  // seconds

  const char* name() const override { return "checked_map_unlocked"; }
  const char* description() const override {
    return "checked_map shared without a lock: the misuse must be reported within 2 s (handler throws)";
  }

  void setup(const config& cfg) override {
    threads_ = cfg.threads;
    keys_ = cfg.keys;
    progress_ = cfg.progress;
    map_ = std::make_unique<unlocked_map>(syncmap::map_name("checked_map_unlocked"));
    reset_reports();
    previous_ = syncmap::set_misuse_handler(&count_and_throw);
  }

  void step(worker& w) override {
    const auto k = static_cast<std::int64_t>(w.below(keys_));
    const std::uint64_t dice = w.below(100);
    try {
      if (dice < 30) {
        w.count(stat::contains);
        static_cast<void>(map_->count(k));
      } else if (dice < 60) {
        w.count(stat::store);
        map_->insert_or_assign(k, slow_value(k));
      } else if (dice < 70) {
        w.count(stat::load_or_store);
        map_->try_emplace(k, k, w.below(32) == 0);
      } else if (dice < 95) {
        w.count(stat::erase);
        map_->erase(k);
      } else {
        w.count(stat::size);
        static_cast<void>(map_->size());
      }
    } catch (const syncmap::misuse_error&) {
      // Reported before the call touched the container: expected here.
    }
  }

  std::map<key_t, std::optional<value_t>> read_final(worker&, const std::vector<key_t>&) override {
    return {};
  }

  void finish(failure_sink& failures) override {
    syncmap::set_misuse_handler(previous_);
    map_.reset();
    if (threads_ < 2) return;  // nothing can overlap
    const std::uint64_t reports = g_reports.load();
    const double first = static_cast<double>(g_first_report_ns.load()) / 1e9;
    if (progress_) {
      std::fprintf(stderr, "  [checked_map_unlocked] %llu misuse reports, the first %.3f s after the start\n",
                   static_cast<unsigned long long>(reports), first);
    }
    if (reports == 0) {
      failures.invariant(
          "invariant: workload checked_map_unlocked: unlocked concurrent use of a checked_map was never "
          "reported");
    } else if (first > kReportBound) {
      failures.invariant("invariant: workload checked_map_unlocked: first misuse reported after " +
                         std::to_string(first) + " s (bound " + std::to_string(kReportBound) + " s)");
    }
  }

 private:
  unsigned threads_ = 0;
  bool progress_ = true;
  std::uint64_t keys_ = 64;
  std::unique_ptr<unlocked_map> map_;
  syncmap::misuse_handler previous_ = nullptr;
};

using locked_on_map =
    syncmap::checked_map<std::unordered_map<std::int64_t, std::int64_t>, syncmap::check_mode::on>;
using locked_sampled_map =
    syncmap::checked_map<std::unordered_map<std::int64_t, std::int64_t>, syncmap::check_mode::sampled>;

class checked_map_locked final : public workload {
 public:
  const char* name() const override { return "checked_map_locked"; }
  const char* description() const override {
    return "checked_map used under a mutex (modes on and sampled), iteration included: never reported";
  }

  void setup(const config& cfg) override {
    keys_ = cfg.keys;
    on_ = std::make_unique<locked_on_map>(syncmap::map_name("checked_map_locked/on"));
    sampled_ = std::make_unique<locked_sampled_map>(syncmap::map_name("checked_map_locked/sampled"));
    reset_reports();
    previous_ = syncmap::set_misuse_handler(&count_and_throw);
    previous_period_ = syncmap::checked_map_sampling_period();
    syncmap::set_checked_map_sampling_period(3);
  }

  void step(worker& w) override {
    try {
      if (w.below(2) == 0) {
        one_step(w, *on_);
      } else {
        one_step(w, *sampled_);
      }
    } catch (const syncmap::misuse_error& e) {
      w.fail(std::string("invariant: workload checked_map_locked: correctly locked use reported: ") +
             e.what());
    }
  }

  std::map<key_t, std::optional<value_t>> read_final(worker&, const std::vector<key_t>&) override {
    return {};
  }

  void finish(failure_sink& failures) override {
    syncmap::set_checked_map_sampling_period(previous_period_);
    syncmap::set_misuse_handler(previous_);
    on_.reset();
    sampled_.reset();
    if (g_reports.load() != 0 && !failures.any()) {
      failures.invariant("invariant: workload checked_map_locked: " + std::to_string(g_reports.load()) +
                         " misuse reports under a mutex");
    }
  }

 private:
  template <class M>
  void one_step(worker& w, M& m) {
    const auto k = static_cast<std::int64_t>(w.below(keys_));
    const std::uint64_t dice = w.below(100);
    const std::lock_guard<std::mutex> lock(mu_);
    if (dice < 30) {
      w.count(stat::load);
      auto it = m.find(k);
      if (it != m.end()) it->second += 1;
    } else if (dice < 55) {
      w.count(stat::store);
      m[k] = static_cast<std::int64_t>(w.random() >> 2);  // room for the += 1 above
    } else if (dice < 75) {
      w.count(stat::erase);
      m.erase(k);
    } else if (dice < 85) {
      w.count(stat::load_or_store);
      m.try_emplace(k, 0);
    } else if (dice < 97) {
      w.count(stat::range);
      std::uint64_t sum = 0;  // unsigned: the values are large, and wrapping is fine
      for (const auto& kv : m) sum += static_cast<std::uint64_t>(kv.second);
      static_cast<void>(sum);
    } else {
      w.count(stat::erase);
      // Erase while iterating, by this thread: allowed.
      for (auto it = m.begin(); it != m.end();) {
        if (it->first % 3 == 0) {
          it = m.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  std::uint64_t keys_ = 64;
  std::mutex mu_;
  std::unique_ptr<locked_on_map> on_;
  std::unique_ptr<locked_sampled_map> sampled_;
  syncmap::misuse_handler previous_ = nullptr;
  std::uint32_t previous_period_ = 64;
};

}  // namespace

std::unique_ptr<workload> make_checked_map_unlocked() { return std::make_unique<checked_map_unlocked>(); }
std::unique_ptr<workload> make_checked_map_locked() { return std::make_unique<checked_map_locked>(); }

}  // namespace syncmap_stress
