// The workloads of Go's sync.Map benchmarks (src/sync/map_bench_test.go),
// ported: the same prefills, key spaces and per-iteration operation mixes,
// int64 keys and values. One extra workload, LoadHit, measures the pure
// read path (every key present and in the snapshot).
//
// Each workload is a struct with
//   kName                 Go's benchmark name without "Benchmark"
//   options()             what the maps are told up front (adapters.hpp)
//   setup(m)              Go's `setup`, run once on a fresh map, untimed
//   local                 per-thread state (Go's per-goroutine variables)
//   op(m, i, local)       one iteration of Go's `perG` loop body
// The driver (map_bench.cpp) gives thread t of T the starting index
// t * (total iterations), as Go's benchMap gives goroutine id the index
// id * b.N, and increments it by one per iteration.
//
// Names and semantics follow Go's current source (Go 1.20 added the Swap /
// CompareAndSwap / CompareAndDelete benchmarks, Go 1.23 Clear). Two
// deliberate deviations, both equivalent for the map:
//   - AdversarialDelete finds the first key with range() and deletes it
//     after range() returns (Go deletes inside the callback; the lock-based
//     peers cannot be re-entered from their traversal).
//   - LoadAndDeleteCollision stores the key back after a successful delete,
//     as Go >= 1.20 does; Go 1.19's version only deletes.

#ifndef SYNCMAP_BENCH_WORKLOADS_HPP_
#define SYNCMAP_BENCH_WORKLOADS_HPP_

#include <benchmark/benchmark.h>

#include <cstdint>

#include "adapters.hpp"

namespace bench {
namespace workloads {

// Per-thread state. `unexpected` counts results Go's benchmark would fail
// on (b.Fatalf); the driver turns a non-zero count into an error.
struct local_state {
  std::int64_t unexpected = 0;
};

// Go's common setup: LoadOrStore keys [0, hits), then load them twice over
// "to get it into a steady state" (for sync.Map: promote the dirty map).
template <class M>
void prefill_and_prime(M& m, std::int64_t hits) {
  for (std::int64_t i = 0; i < hits; ++i) m.load_or_store(i, i);
  for (std::int64_t i = 0; i < hits * 2; ++i) benchmark::DoNotOptimize(m.load(i % hits));
}

template <class M>
void store_range(M& m, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) m.store(i, i);
}

constexpr std::size_t kSmall = 1024;       // key space of the fixed-size workloads
constexpr std::size_t kGrowing = 1 << 20;  // workloads that add keys for as long as they run

// ---- Loads ----------------------------------------------------------------

template <std::int64_t Hits, std::int64_t Misses>
struct load_mix {
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, Hits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    benchmark::DoNotOptimize(m.load(i % (Hits + Misses)));
  }
};

// Not in Go: every load hits a key of the (promoted) snapshot -- the read
// path the 1.2x-of-flat_hash_map goal is about.
struct LoadHit : load_mix<1024, 0> {
  static constexpr const char* kName = "LoadHit";
};
struct LoadMostlyHits : load_mix<1023, 1> {
  static constexpr const char* kName = "LoadMostlyHits";
};
struct LoadMostlyMisses : load_mix<1, 1023> {
  static constexpr const char* kName = "LoadMostlyMisses";
};

// ---- LoadOrStore ------------------------------------------------------------

struct LoadOrStoreBalanced {
  static constexpr const char* kName = "LoadOrStoreBalanced";
  static constexpr std::int64_t kHits = 128;
  static constexpr std::int64_t kMisses = 128;
  static map_options options() { return {kGrowing, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, kHits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& l) {
    const std::int64_t j = i % (kHits + kMisses);
    if (j < kHits) {
      if (!m.load_or_store(j, i).second) ++l.unexpected;  // Go: "unexpected miss"
    } else {
      if (m.load_or_store(i, i).second) ++l.unexpected;  // Go: "failed to store"
    }
  }
};

struct LoadOrStoreUnique {
  static constexpr const char* kName = "LoadOrStoreUnique";
  static map_options options() { return {kGrowing, false}; }
  template <class M>
  static void setup(M& /*unused*/) {}
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    benchmark::DoNotOptimize(m.load_or_store(i, i));
  }
};

struct LoadOrStoreCollision {
  static constexpr const char* kName = "LoadOrStoreCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    benchmark::DoNotOptimize(m.load_or_store(0, 0));
  }
};

// ---- LoadAndDelete ----------------------------------------------------------

struct LoadAndDeleteBalanced {
  static constexpr const char* kName = "LoadAndDeleteBalanced";
  static constexpr std::int64_t kHits = 128;
  static constexpr std::int64_t kMisses = 128;
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, kHits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    const std::int64_t j = i % (kHits + kMisses);
    benchmark::DoNotOptimize(m.load_and_delete(j < kHits ? j : i));
  }
};

struct LoadAndDeleteUnique {
  static constexpr const char* kName = "LoadAndDeleteUnique";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& /*unused*/) {}
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    benchmark::DoNotOptimize(m.load_and_delete(i));
  }
};

struct LoadAndDeleteCollision {
  static constexpr const char* kName = "LoadAndDeleteCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    if (m.load_and_delete(0)) m.store(0, 0);
  }
};

// ---- Range and the adversarial workloads -------------------------------------

struct Range {
  static constexpr const char* kName = "Range";
  static constexpr std::int64_t kSize = 1 << 10;
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    store_range(m, kSize);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    std::int64_t n = 0;
    m.range([&n](std::int64_t /*k*/, std::int64_t /*v*/) {
      ++n;
      return true;
    });
    benchmark::DoNotOptimize(n);
  }
};

// Go: "store a new value immediately whenever the map is promoted to clean
// and otherwise load a unique, missing key" -- every load takes sync.Map's
// mutex.
struct AdversarialAlloc {
  static constexpr const char* kName = "AdversarialAlloc";
  static map_options options() { return {kSmall * 16, false}; }
  template <class M>
  static void setup(M& /*unused*/) {}
  struct local : local_state {
    std::int64_t stores = 0;
    std::int64_t loads_since_store = 0;
  };
  template <class M>
  static void op(M& m, std::int64_t i, local& l) {
    benchmark::DoNotOptimize(m.load(i));
    if (++l.loads_since_store > l.stores) {
      m.load_or_store(i, l.stores);
      l.loads_since_store = 0;
      ++l.stores;
    }
  }
};

// Go: "periodically delete one key and add a different one in a large map"
// -- loads take sync.Map's mutex and each cycle copies the map.
struct AdversarialDelete {
  static constexpr const char* kName = "AdversarialDelete";
  static constexpr std::int64_t kSize = 1 << 10;
  static map_options options() { return {kSmall, true}; }
  template <class M>
  static void setup(M& m) {
    store_range(m, kSize);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    benchmark::DoNotOptimize(m.load(i));
    if (i % kSize == 0) {
      bool found = false;
      std::int64_t first = 0;
      m.range([&](std::int64_t k, std::int64_t /*v*/) {
        first = k;
        found = true;
        return false;
      });
      if (found) m.erase(first);
      m.store(i, i);
    }
  }
};

struct DeleteCollision {
  static constexpr const char* kName = "DeleteCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    benchmark::DoNotOptimize(m.erase(0));
  }
};

// ---- Swap (Go 1.20) ---------------------------------------------------------

struct SwapCollision {
  static constexpr const char* kName = "SwapCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    benchmark::DoNotOptimize(m.swap(0, 0));
  }
};

template <std::int64_t Hits, std::int64_t Misses>
struct swap_mix {
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, Hits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    if (i % (Hits + Misses) < Hits) {
      const std::int64_t v = i % (Hits + Misses);
      benchmark::DoNotOptimize(m.swap(v, v));
    } else {
      benchmark::DoNotOptimize(m.swap(i, i));
      m.erase(i);
    }
  }
};
struct SwapMostlyHits : swap_mix<1023, 1> {
  static constexpr const char* kName = "SwapMostlyHits";
};
struct SwapMostlyMisses : swap_mix<1, 1023> {
  static constexpr const char* kName = "SwapMostlyMisses";
};

// ---- CompareAndSwap (Go 1.20) ---------------------------------------------------

struct CompareAndSwapCollision {
  static constexpr const char* kName = "CompareAndSwapCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    if (m.compare_and_swap(0, 0, 42)) m.compare_and_swap(0, 42, 0);
  }
};

struct CompareAndSwapNoExistingKey {
  static constexpr const char* kName = "CompareAndSwapNoExistingKey";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& /*unused*/) {}
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    if (m.compare_and_swap(i, 0, 0)) m.erase(i);
  }
};

struct CompareAndSwapValueNotEqual {
  static constexpr const char* kName = "CompareAndSwapValueNotEqual";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    benchmark::DoNotOptimize(m.compare_and_swap(0, 1, 2));
  }
};

template <std::int64_t Hits, std::int64_t Misses>
struct compare_and_swap_mix {
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, Hits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    const std::int64_t v = i % (Hits + Misses) < Hits ? i % (Hits + Misses) : i;
    benchmark::DoNotOptimize(m.compare_and_swap(v, v, v));
  }
};
struct CompareAndSwapMostlyHits : compare_and_swap_mix<1023, 1> {
  static constexpr const char* kName = "CompareAndSwapMostlyHits";
};
struct CompareAndSwapMostlyMisses : compare_and_swap_mix<1, 1023> {
  static constexpr const char* kName = "CompareAndSwapMostlyMisses";
};

// ---- CompareAndDelete (Go 1.20) -------------------------------------------------

struct CompareAndDeleteCollision {
  static constexpr const char* kName = "CompareAndDeleteCollision";
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    m.load_or_store(0, 0);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t /*unused*/, local& /*unused*/) {
    if (m.compare_and_delete(0, 0)) m.store(0, 0);
  }
};

template <std::int64_t Hits, std::int64_t Misses>
struct compare_and_delete_mix {
  static map_options options() { return {kSmall, false}; }
  template <class M>
  static void setup(M& m) {
    prefill_and_prime(m, Hits);
  }
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    const std::int64_t v = i % (Hits + Misses) < Hits ? i % (Hits + Misses) : i;
    if (m.compare_and_delete(v, v)) m.store(v, v);
  }
};
struct CompareAndDeleteMostlyHits : compare_and_delete_mix<1023, 1> {
  static constexpr const char* kName = "CompareAndDeleteMostlyHits";
};
struct CompareAndDeleteMostlyMisses : compare_and_delete_mix<1, 1023> {
  static constexpr const char* kName = "CompareAndDeleteMostlyMisses";
};

// ---- Clear (Go 1.23) ------------------------------------------------------------

struct Clear {
  static constexpr const char* kName = "Clear";
  static map_options options() { return {256, true}; }
  template <class M>
  static void setup(M& /*unused*/) {}
  using local = local_state;
  template <class M>
  static void op(M& m, std::int64_t i, local& /*unused*/) {
    m.clear();
    m.store(i % 256, i % 256);
  }
};

}  // namespace workloads
}  // namespace bench

#endif  // SYNCMAP_BENCH_WORKLOADS_HPP_
