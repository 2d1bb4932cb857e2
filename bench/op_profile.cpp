// Runs one workload of workloads.hpp on one map, single-threaded, for a fixed
// number of iterations and without Google Benchmark around it: a stable
// target for profilers. docs/performance.md shows what it gave.
//
//   op_profile <workload> <map> [iterations]      (default 10000000)
//
//   perf record -g build/bench/bench/op_profile Range sync_map 200000
//   valgrind --tool=callgrind --toggle-collect='*timed_loop*'
//       build/bench/bench/op_profile LoadHit sync_map 1000000
//
// Prints the wall time per iteration. Setup (Go's prefill and priming) is
// outside timed_loop, so --toggle-collect counts only the iterations.

#include <absl/synchronization/mutex.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "adapters.hpp"
#include "workloads.hpp"

namespace {

using namespace bench::workloads;  // NOLINT(google-build-using-namespace): the workload list below

template <class Map, class W>
__attribute__((noinline)) void timed_loop(Map& m, std::int64_t iterations, typename W::local& local) {
  for (std::int64_t i = 0; i < iterations; ++i) W::op(m, i, local);
}

template <class Map, class W>
int run(std::int64_t iterations) {
  [[maybe_unused]] const typename Map::thread_scope scope;
  Map m(W::options());
  W::setup(m);
  typename W::local local{};
  const auto t0 = std::chrono::steady_clock::now();
  timed_loop<Map, W>(m, iterations, local);
  const auto t1 = std::chrono::steady_clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  std::printf("%s/%s: %lld iterations, %.2f ns per iteration\n", W::kName, Map::kName,
              static_cast<long long>(iterations), ns / static_cast<double>(iterations));
  return local.unexpected == 0 ? 0 : 1;
}

template <class W>
int with_map(const char* map, std::int64_t iterations) {
  if (std::strcmp(map, bench::syncmap_map::kName) == 0) return run<bench::syncmap_map, W>(iterations);
  if (std::strcmp(map, bench::std_shared_mutex_map::kName) == 0) {
    return run<bench::std_shared_mutex_map, W>(iterations);
  }
  if (std::strcmp(map, bench::absl_mutex_map::kName) == 0) return run<bench::absl_mutex_map, W>(iterations);
  if (std::strcmp(map, bench::tbb_map::kName) == 0) return run<bench::tbb_map, W>(iterations);
  if (std::strcmp(map, bench::libcuckoo_map::kName) == 0) return run<bench::libcuckoo_map, W>(iterations);
  if (std::strcmp(map, bench::libcds_map::kName) == 0) return run<bench::libcds_map, W>(iterations);
  std::fprintf(stderr, "op_profile: unknown map %s\n", map);
  return 2;
}

// The reference map only has the read path.
template <class W>
int with_read_map(const char* map, std::int64_t iterations) {
  if (std::strcmp(map, bench::absl_nolock_map::kName) == 0) return run<bench::absl_nolock_map, W>(iterations);
  return with_map<W>(map, iterations);
}

template <class W>
bool is(const char* workload) {
  return std::strcmp(workload, W::kName) == 0;
}

int dispatch(const char* workload, const char* map, std::int64_t n) {
  if (is<LoadHit>(workload)) return with_read_map<LoadHit>(map, n);
  if (is<LoadMostlyHits>(workload)) return with_read_map<LoadMostlyHits>(map, n);
  if (is<LoadMostlyMisses>(workload)) return with_read_map<LoadMostlyMisses>(map, n);
  if (is<LoadOrStoreBalanced>(workload)) return with_map<LoadOrStoreBalanced>(map, n);
  if (is<LoadOrStoreUnique>(workload)) return with_map<LoadOrStoreUnique>(map, n);
  if (is<LoadOrStoreCollision>(workload)) return with_map<LoadOrStoreCollision>(map, n);
  if (is<LoadAndDeleteBalanced>(workload)) return with_map<LoadAndDeleteBalanced>(map, n);
  if (is<LoadAndDeleteUnique>(workload)) return with_map<LoadAndDeleteUnique>(map, n);
  if (is<LoadAndDeleteCollision>(workload)) return with_map<LoadAndDeleteCollision>(map, n);
  if (is<Range>(workload)) return with_map<Range>(map, n);
  if (is<AdversarialAlloc>(workload)) return with_map<AdversarialAlloc>(map, n);
  if (is<AdversarialDelete>(workload)) return with_map<AdversarialDelete>(map, n);
  if (is<DeleteCollision>(workload)) return with_map<DeleteCollision>(map, n);
  if (is<SwapCollision>(workload)) return with_map<SwapCollision>(map, n);
  if (is<SwapMostlyHits>(workload)) return with_map<SwapMostlyHits>(map, n);
  if (is<SwapMostlyMisses>(workload)) return with_map<SwapMostlyMisses>(map, n);
  if (is<CompareAndSwapCollision>(workload)) return with_map<CompareAndSwapCollision>(map, n);
  if (is<CompareAndSwapNoExistingKey>(workload)) return with_map<CompareAndSwapNoExistingKey>(map, n);
  if (is<CompareAndSwapValueNotEqual>(workload)) return with_map<CompareAndSwapValueNotEqual>(map, n);
  if (is<CompareAndSwapMostlyHits>(workload)) return with_map<CompareAndSwapMostlyHits>(map, n);
  if (is<CompareAndSwapMostlyMisses>(workload)) return with_map<CompareAndSwapMostlyMisses>(map, n);
  if (is<CompareAndDeleteCollision>(workload)) return with_map<CompareAndDeleteCollision>(map, n);
  if (is<CompareAndDeleteMostlyHits>(workload)) return with_map<CompareAndDeleteMostlyHits>(map, n);
  if (is<CompareAndDeleteMostlyMisses>(workload)) return with_map<CompareAndDeleteMostlyMisses>(map, n);
  if (is<Clear>(workload)) return with_map<Clear>(map, n);
  std::fprintf(stderr, "op_profile: unknown workload %s\n", workload);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: op_profile <workload> <map> [iterations]\n");
    return 2;
  }
  const std::int64_t iterations = argc > 3 ? std::strtoll(argv[3], nullptr, 10) : 10'000'000;
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bench::cds_runtime cds;
  return dispatch(argv[1], argv[2], iterations);
}
