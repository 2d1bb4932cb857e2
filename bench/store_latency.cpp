// The latency of each store of a new key while a map grows to 1M keys, one
// thread: the distribution (p50, p99, p99.9, max) and where the largest
// stores happened.
//
//   store_latency [keys] [repetitions]     (default 1048576 3)
//
// Go's design (and syncmap's) rebuilds the dirty map from the snapshot --
// an O(n) copy -- at the first new key after each promotion; every hash
// table also rehashes as it grows. Two scenarios separate the two:
//   grow        stores only. No load misses, so sync_map never promotes: the
//               dirty map just grows (its rehashes are the spikes).
//   grow+read   each store is followed by two loads of the new key. For
//               sync_map these miss the snapshot and count misses, so the
//               dirty map is promoted every time the map has doubled, and
//               the next store rebuilds it: the O(n) copy is in this run.
// Only the stores are timed (steady_clock around each; its own cost, some
// 20 ns, is included in every sample). Each (map, scenario) runs
// `repetitions` times on a fresh map and each statistic reported is the
// median over the repetitions, which filters out a preemption in one run.
//
// Output, parsed by bench/report.py: one line per (map, scenario):
//   latency <map> <scenario> <p50 ns> <p99 ns> <p99.9 ns> <max ns> <size at max>
// and for sync_map the five largest stores of the last repetition:
//   spike <map> <scenario> <ns> <size>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <benchmark/benchmark.h>
#include <malloc.h>

#include "adapters.hpp"

namespace {

enum class scenario { grow, grow_read };

const char* name(scenario s) { return s == scenario::grow ? "grow" : "grow+read"; }

struct result {
  std::int64_t p50, p99, p999, max, size_at_max;
};

template <class M>
std::vector<std::int64_t> run_once(std::int64_t keys, scenario s) {
  bench::map_options o;
  o.expected_keys = static_cast<std::size_t>(keys);
  M m(o);
  std::vector<std::int64_t> ns(static_cast<std::size_t>(keys));
  for (std::int64_t k = 0; k < keys; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    m.store(k, k);
    const auto t1 = std::chrono::steady_clock::now();
    ns[static_cast<std::size_t>(k)] = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    if (s == scenario::grow_read) {
      benchmark::DoNotOptimize(m.load(k));
      benchmark::DoNotOptimize(m.load(k));
    }
  }
  return ns;
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

template <class M>
void measure(std::int64_t keys, int reps, scenario s) {
  std::vector<result> results;
  std::vector<std::int64_t> last;
  for (int r = 0; r < reps; ++r) {
    // The previous map's freed chunks would otherwise be consolidated by
    // glibc at this run's first large allocation, inside a timed store.
    malloc_trim(0);
    last = run_once<M>(keys, s);
    std::vector<std::int64_t> sorted = last;
    std::sort(sorted.begin(), sorted.end());
    const auto at_max = std::max_element(last.begin(), last.end()) - last.begin();
    results.push_back({percentile(sorted, 0.5), percentile(sorted, 0.99), percentile(sorted, 0.999),
                       sorted.back(), static_cast<std::int64_t>(at_max)});
  }
  auto median = [&results](auto field) {
    std::vector<result> r = results;
    std::sort(r.begin(), r.end(), [&field](const result& a, const result& b) { return a.*field < b.*field; });
    return r[r.size() / 2];
  };
  const result max_run = median(&result::max);
  std::printf("latency %s %s %lld %lld %lld %lld %lld\n", M::kName, name(s),
              static_cast<long long>(median(&result::p50).p50),
              static_cast<long long>(median(&result::p99).p99),
              static_cast<long long>(median(&result::p999).p999), static_cast<long long>(max_run.max),
              static_cast<long long>(max_run.size_at_max));
  if constexpr (std::is_same<M, bench::syncmap_map>::value) {
    std::vector<std::int64_t> idx(last.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::int64_t>(i);
    std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(), [&last](std::int64_t a, std::int64_t b) {
      return last[static_cast<std::size_t>(a)] > last[static_cast<std::size_t>(b)];
    });
    for (int i = 0; i < 5; ++i) {
      const auto k = static_cast<std::size_t>(idx[static_cast<std::size_t>(i)]);
      std::printf("spike %s %s %lld %lld\n", M::kName, name(s), static_cast<long long>(last[k]),
                  static_cast<long long>(k));
    }
  }
  std::fflush(stdout);
}

template <class M>
void both(std::int64_t keys, int reps) {
  [[maybe_unused]] const typename M::thread_scope scope;
  measure<M>(keys, reps, scenario::grow);
  measure<M>(keys, reps, scenario::grow_read);
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t keys = argc > 1 ? std::strtoll(argv[1], nullptr, 10) : std::int64_t{1} << 20;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  if (keys <= 5 || reps <= 0) {
    std::fprintf(stderr, "usage: store_latency [keys > 5] [repetitions]\n");
    return 2;
  }
  // As in map_bench: the absl peer pays a release build's lock cost.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bench::cds_runtime cds;
  both<bench::syncmap_map>(keys, reps);
  both<bench::std_shared_mutex_map>(keys, reps);
  both<bench::absl_mutex_map>(keys, reps);
  both<bench::tbb_map>(keys, reps);
  both<bench::libcuckoo_map>(keys, reps);
  both<bench::libcds_map>(keys, reps);
  return 0;
}
