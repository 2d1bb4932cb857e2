// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// What checked_map costs against the bare container, per mode: find (hits),
// insert (new keys) and erase (present keys), single-threaded, for
// std::unordered_map<int64, int64> and absl::flat_hash_map<int64, int64>.
// docs/checked_map.md quotes the medians.
//
//   build/release/bench/checked_map_bench --benchmark_repetitions=9
//       --benchmark_report_aggregates_only=true      (one command line)
//
// Each benchmark iteration is a batch of kBatch operations on a map holding
// N keys (the argument: 4096, cache-resident, where a lookup takes ~2 ns and
// any per-call work shows most; and 2^20, where lookups miss the cache as
// in a large real map); the ns/op counter is the time per operation. insert
// and erase restore the map between batches with the timer paused.
// Find/<map>/floor is not a checked_map: see BM_FindFloor.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <unordered_map>

#include <syncmap/checked_map.hpp>
#include "absl/container/flat_hash_map.h"

namespace {

constexpr std::int64_t kBatch = 1024;

using std_map = std::unordered_map<std::int64_t, std::int64_t>;
using absl_map = absl::flat_hash_map<std::int64_t, std::int64_t>;
template <class M>
using off = syncmap::checked_map<M, syncmap::check_mode::off>;
template <class M>
using sampled = syncmap::checked_map<M, syncmap::check_mode::sampled>;
template <class M>
using on = syncmap::checked_map<M, syncmap::check_mode::on>;

// Spreads consecutive indices over the key space (a bijection on [0, size),
// size a power of two).
std::int64_t key(std::int64_t i, std::int64_t size) { return (i * 2654435761LL) & (size - 1); }

template <class Map>
void fill(Map& m, std::int64_t from, std::int64_t to) {
  for (std::int64_t i = from; i < to; ++i) m.insert({i, i});
}

void per_op(benchmark::State& state) {
  state.counters["ns/op"] =
      benchmark::Counter(static_cast<double>(kBatch) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The batches of hits both find benchmarks time; with kFloor, each lookup is
// preceded by the floor's countdown (see BM_FindFloor).
thread_local int t_floor_countdown = 0;
template <class Map>
SYNCMAP_NOINLINE void floor_rare_call(Map& m) {
  benchmark::DoNotOptimize(&m);
  t_floor_countdown = 64;
}

// How a find batch treats each lookup (see BM_Find, BM_FindFloor and
// BM_FindEscaping).
enum class find_kind { plain, floor, escaping };

template <class Map, find_kind kKind>
SYNCMAP_ALWAYS_INLINE void find_batches(benchmark::State& state) {
  const std::int64_t size = state.range(0);
  Map m;
  fill(m, 0, size);
  std::int64_t i = 0;
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (std::int64_t b = 0; b < kBatch; ++b) {
      if constexpr (kKind == find_kind::floor) {
        if (SYNCMAP_UNLIKELY(--t_floor_countdown <= 0)) floor_rare_call(m);
      }
      auto it = m.find(key(i++, size));
      if constexpr (kKind == find_kind::escaping) {
        benchmark::DoNotOptimize(it);
      } else if (it != m.end()) {
        sum += it->second;
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  per_op(state);
}

template <class Map>
void BM_Find(benchmark::State& state) {
  find_batches<Map, find_kind::plain>(state);
}

// The same lookups written the way Google Benchmark's documentation writes
// them, each result handed to benchmark::DoNotOptimize -- an opaque use that
// may read or write any memory, as a lookup's result flowing into the rest of
// a real program does. The compiler then reloads the container's fields for
// every lookup in the bare loop too, so this row shows what the checks
// themselves cost, without the register allocation of a loop that does
// nothing but look up (BM_Find, BM_FindFloor).
template <class Map>
void BM_FindEscaping(benchmark::State& state) {
  find_batches<Map, find_kind::escaping>(state);
}

// The floor of any sampling wrapper, for comparison: the bare container's
// find behind a thread-local countdown whose rare expiry calls an
// out-of-line function that may touch the map (as a sampled check must:
// it runs the handler, and its acquire and release order the map's
// accesses). No peek, no state word, no check. The call makes the compiler
// reload the container's fields on every lookup instead of keeping them in
// registers across the loop.
template <class Map>
void BM_FindFloor(benchmark::State& state) {
  find_batches<Map, find_kind::floor>(state);
}

template <class Map>
void BM_Insert(benchmark::State& state) {
  const std::int64_t size = state.range(0);
  Map m;
  fill(m, 0, size);
  std::int64_t next = size;
  for (auto _ : state) {
    for (std::int64_t b = 0; b < kBatch; ++b) m.insert({next + b, b});
    state.PauseTiming();
    for (std::int64_t b = 0; b < kBatch; ++b) m.erase(next + b);
    next += kBatch;
    state.ResumeTiming();
  }
  per_op(state);
}

template <class Map>
void BM_Erase(benchmark::State& state) {
  const std::int64_t size = state.range(0);
  Map m;
  fill(m, 0, size);
  std::int64_t next = size;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::int64_t b = 0; b < kBatch; ++b) m.insert({next + b, b});
    state.ResumeTiming();
    for (std::int64_t b = 0; b < kBatch; ++b) m.erase(next + b);
    next += kBatch;
  }
  per_op(state);
}

#define SYNCMAP_CHECKED_BENCH(op, map, label)                                                          \
  BENCHMARK_TEMPLATE(BM_##op, map)->Name(#op "/" #label "/bare")->Arg(4096)->Arg(1 << 20);             \
  BENCHMARK_TEMPLATE(BM_##op, off<map>)->Name(#op "/" #label "/off")->Arg(4096)->Arg(1 << 20);         \
  BENCHMARK_TEMPLATE(BM_##op, sampled<map>)->Name(#op "/" #label "/sampled")->Arg(4096)->Arg(1 << 20); \
  BENCHMARK_TEMPLATE(BM_##op, on<map>)->Name(#op "/" #label "/on")->Arg(4096)->Arg(1 << 20)

SYNCMAP_CHECKED_BENCH(Find, std_map, std_unordered_map);
SYNCMAP_CHECKED_BENCH(Insert, std_map, std_unordered_map);
SYNCMAP_CHECKED_BENCH(Erase, std_map, std_unordered_map);
SYNCMAP_CHECKED_BENCH(Find, absl_map, absl_flat_hash_map);
SYNCMAP_CHECKED_BENCH(FindEscaping, std_map, std_unordered_map);
SYNCMAP_CHECKED_BENCH(FindEscaping, absl_map, absl_flat_hash_map);
BENCHMARK_TEMPLATE(BM_FindFloor, std_map)->Name("Find/std_unordered_map/floor")->Arg(4096)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_FindFloor, absl_map)->Name("Find/absl_flat_hash_map/floor")->Arg(4096)->Arg(1 << 20);
SYNCMAP_CHECKED_BENCH(Insert, absl_map, absl_flat_hash_map);
SYNCMAP_CHECKED_BENCH(Erase, absl_map, absl_flat_hash_map);

}  // namespace

BENCHMARK_MAIN();
