// Go's sync.Map benchmarks (workloads.hpp) on syncmap::sync_map and its
// peers (adapters.hpp), with Google Benchmark. bench/run runs it and makes
// the table of docs/performance.md.
//
//   map_bench [--threads=1,2,4] [--absl_deadlock_detection=on|off]
//             [Google Benchmark flags]
//
// Accounting matches Go's: an iteration is one pass of Go's perG loop body;
// with T threads each runs its share and the reported time per iteration is
// wall time / iterations of all threads together (Google Benchmark divides
// the threads' mean real time by their total iterations), which is Go's
// elapsed / b.N. Use --benchmark_counters_tabular or the JSON "real_time".

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <absl/synchronization/mutex.h>

#include "adapters.hpp"
#include "workloads.hpp"

namespace {

using namespace bench::workloads;  // NOLINT(google-build-using-namespace): the workload list below

// The map of one run, shared by its threads. Thread 0 builds it before the
// start barrier and destroys it after the end barrier, so neither is timed
// and no other thread can be using it then.
template <class Map, class W>
std::unique_ptr<Map>& shared_map() {
  static std::unique_ptr<Map> m;
  return m;
}

template <class Map, class W>
void run(benchmark::State& state) {
  [[maybe_unused]] const typename Map::thread_scope scope;
  auto& shared = shared_map<Map, W>();
  if (state.thread_index() == 0) {
    shared = std::make_unique<Map>(W::options());
    W::setup(*shared);
  }
  // Go gives goroutine `id` the starting index id * b.N (b.N: all
  // goroutines' iterations together).
  std::int64_t i = static_cast<std::int64_t>(state.thread_index()) * state.max_iterations * state.threads();
  typename W::local local{};

  // What a range-for does, split so that the map is read after the start
  // barrier: end() is where every thread waits for the others (and the
  // timer starts).
  auto it = state.begin();
  const auto end = state.end();
  Map& m = *shared;
  for (; it != end; ++it, ++i) W::op(m, i, local);

  if (local.unexpected != 0) state.SkipWithError("a result Go's benchmark would fail on (b.Fatalf)");
  if (state.thread_index() == 0) {
    shared.reset();  // all threads are past the end barrier
    // Freeing a big map fills glibc's fast bins with millions of small
    // chunks, which the next large allocation consolidates: tens of
    // milliseconds that would land in the next run's timing (and, in a short
    // trial run, make Google Benchmark settle on a tiny iteration count).
    // Pay it here, untimed.
    malloc_trim(0);
  }
}

template <class W, class Map>
void add(const std::vector<int>& threads) {
  const std::string name = std::string(W::kName) + "/" + Map::kName;
#ifndef __clang_analyzer__
  // (Hidden from clang-tidy's analyzer, which does not see that Google
  // Benchmark keeps the object it registers, and reports a leak.)
  auto* b = benchmark::RegisterBenchmark(name.c_str(), &run<Map, W>);
  for (const int t : threads) b->Threads(t);
  b->UseRealTime();
#else
  (void)threads;
#endif
}

template <class W>
void add_peers(const std::vector<int>& threads) {
  add<W, bench::syncmap_map>(threads);
  add<W, bench::std_shared_mutex_map>(threads);
  add<W, bench::absl_mutex_map>(threads);
  add<W, bench::tbb_map>(threads);
  add<W, bench::libcuckoo_map>(threads);
  add<W, bench::libcds_map>(threads);
}

// The reads also run on an unsynchronized absl::flat_hash_map, one thread:
// the cost of the lookup itself.
template <class W>
void add_reads(const std::vector<int>& threads) {
  add_peers<W>(threads);
  add<W, bench::absl_nolock_map>({1});
}

void register_all(const std::vector<int>& t) {
  add_reads<LoadHit>(t);
  add_reads<LoadMostlyHits>(t);
  add_reads<LoadMostlyMisses>(t);
  add_peers<LoadOrStoreBalanced>(t);
  add_peers<LoadOrStoreUnique>(t);
  add_peers<LoadOrStoreCollision>(t);
  add_peers<LoadAndDeleteBalanced>(t);
  add_peers<LoadAndDeleteUnique>(t);
  add_peers<LoadAndDeleteCollision>(t);
  add_peers<Range>(t);
  add_peers<AdversarialAlloc>(t);
  add_peers<AdversarialDelete>(t);
  add_peers<DeleteCollision>(t);
  add_peers<SwapCollision>(t);
  add_peers<SwapMostlyHits>(t);
  add_peers<SwapMostlyMisses>(t);
  add_peers<CompareAndSwapCollision>(t);
  add_peers<CompareAndSwapNoExistingKey>(t);
  add_peers<CompareAndSwapValueNotEqual>(t);
  add_peers<CompareAndSwapMostlyHits>(t);
  add_peers<CompareAndSwapMostlyMisses>(t);
  add_peers<CompareAndDeleteCollision>(t);
  add_peers<CompareAndDeleteMostlyHits>(t);
  add_peers<CompareAndDeleteMostlyMisses>(t);
  add_peers<Clear>(t);
}

// "1,2,4" -> {1, 2, 4}; empty on a malformed list.
std::vector<int> parse_threads(const char* list) {
  std::vector<int> out;
  for (const char* p = list; *p != '\0';) {
    char* next = nullptr;
    const long t = std::strtol(p, &next, 10);
    if (next == p || t < 1 || t > 1024 || (*next != ',' && *next != '\0')) return {};
    out.push_back(static_cast<int>(t));
    p = *next == ',' ? next + 1 : next;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with absl::Mutex deadlock detection on, which
  // roughly triples the cost of an uncontended lock. Off by default, so that
  // the absl peer pays what a release build of Abseil costs; syncmap itself
  // uses std::mutex and is unaffected either way.
  bool deadlock_detection = false;
  std::vector<int> threads = {1, 2, 4};
  int kept = 1;
  for (int a = 1; a < argc; ++a) {
    const char* arg = argv[a];
    if (std::strncmp(arg, "--threads=", 10) == 0) {
      threads = parse_threads(arg + 10);
      if (threads.empty()) {
        std::cerr << "map_bench: bad --threads list '" << arg + 10 << "' (want e.g. 1,2,4)\n";
        return 2;
      }
    } else if (std::strcmp(arg, "--absl_deadlock_detection=on") == 0) {
      deadlock_detection = true;
    } else if (std::strcmp(arg, "--absl_deadlock_detection=off") == 0) {
      deadlock_detection = false;
    } else {
      argv[kept++] = argv[a];
    }
  }
  argc = kept;
  if (!deadlock_detection) absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchmark::AddCustomContext("absl_deadlock_detection", deadlock_detection ? "on" : "off");

  const bench::cds_runtime cds;
  register_all(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
