// Memory under churn (Go issue 40999 and its relatives): storing fresh keys
// and deleting them, again and again, keeps the live heap bounded by a small
// multiple of what the live entries need; and after erasing 99% of the keys
// the memory returns to near what a fresh map of the survivors uses, after a
// bounded number of operations (each promotion rebuilds the tables from the
// live entries only).
//
// A counting global operator new/delete measures the live heap of the whole
// process. Not built in the tsan preset (TSan's runtime owns operator new).
// SYNCMAP_CHURN_OPS=N sets the churn length (default 2M, 200k under
// sanitizers) and SYNCMAP_CHURN_WINDOW=N the live keys (default 1000);
// docs/verification.md reports 50M runs and larger windows.

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <thread>
#include <vector>

#include <syncmap/detail/reclaim.hpp>
#include <syncmap/sync_map.hpp>

#include "support/sanitizers.hpp"

namespace {
std::atomic<long long> g_live_bytes{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void* counted_aligned(std::size_t n, std::align_val_t a) {
  const auto al = static_cast<std::size_t>(a);
  void* p = std::aligned_alloc(al, (n + al - 1) / al * al);
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

namespace {

namespace reclaim = syncmap::detail::reclaim;

using syncmap_test::kSanitized;

long long live_bytes() { return g_live_bytes.load(std::memory_order_relaxed); }

long churn_ops() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment
  if (const char* e = std::getenv("SYNCMAP_CHURN_OPS")) return std::atol(e);
  return kSanitized ? 200'000 : 2'000'000;
}

// Live heap of a fresh map holding keys 0..n-1 (the reference "what the
// live entries need").
long long fresh_map_bytes(int n) {
  reclaim::quiesce();
  const long long before = live_bytes();
  long long used = 0;
  {
    syncmap::sync_map<long, long> m;
    for (long k = 0; k < n; ++k) m.store(k, k);
    m.range([](long, long) { return false; });  // promoted, as a long-lived map would be
    reclaim::quiesce();
    used = live_bytes() - before;
  }
  return used;
}

enum class company { none, readers, ranger };

// Stores key i and erases key i - window, `ops` times: at most `window`
// keys are live at once. Returns the peak live heap above the start.
std::size_t pending_at_peak = 0;       // retired nodes not yet freed when the peak was seen
long long residual_after_quiesce = 0;  // the map's heap after the run, once retired nodes are freed

long long churn_peak(long ops, int window, company with) {
  syncmap::sync_map<long, long> m;
  reclaim::quiesce();
  const long long base = live_bytes();
  std::atomic<bool> stop{false};
  std::atomic<long> next{0};
  std::vector<std::thread> others;
  if (with != company::none) {
    for (int t = 0; t < 2; ++t) {
      others.emplace_back([&, t] {
        long sum = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          if (with == company::readers) {
            const long n = next.load(std::memory_order_relaxed);
            for (long d = 0; d < 64; ++d) sum += m.load(n - d - t).value_or(0);
          } else {
            m.range([&sum](long, long v) { sum += v; });
          }
        }
        EXPECT_GE(sum, 0);
      });
    }
  }
  long long peak = 0;
  for (long i = 0; i < ops; ++i) {
    m.store(i, i);
    if (i >= window && !m.erase(i - window)) ADD_FAILURE() << "key " << i - window << " was lost";
    next.store(i, std::memory_order_relaxed);
    if ((i & 255) == 0) {
      const long long now = live_bytes() - base;
      if (now > peak) {
        peak = now;
        pending_at_peak = reclaim::stats().pending_nodes;
      }
    }
  }
  stop = true;
  for (auto& t : others) t.join();
  EXPECT_EQ(m.size(), static_cast<std::size_t>(std::min<long>(window, ops)));
  reclaim::quiesce();
  residual_after_quiesce = live_bytes() - base;
  return peak;
}

// Live keys during the churn; SYNCMAP_CHURN_WINDOW=N overrides (the figures
// for larger maps in docs/verification.md).
int churn_window() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment
  if (const char* e = std::getenv("SYNCMAP_CHURN_WINDOW")) return std::atoi(e);
  return 1000;
}
const int kWindow = churn_window();

struct churn_result {
  long long peak = 0;          // peak live heap above the start
  long long fresh = 0;         // a fresh map of kWindow keys
  std::uint64_t give_ups = 0;  // back-pressure waits that gave up (reclaim.hpp)
};

// Runs the churn; checks the heap left once retired nodes are freed.
churn_result expect_bounded_churn(company with, const char* what) {
  const long ops = churn_ops();
  churn_result r;
  r.fresh = fresh_map_bytes(kWindow);
  const auto before = reclaim::stats();
  r.peak = churn_peak(ops, kWindow, with);
  const auto after = reclaim::stats();
  const auto waits = after.pressure_waits - before.pressure_waits;
  r.give_ups = after.pressure_give_ups - before.pressure_give_ups;
  std::cout << what << ": " << ops << " store+erase pairs, " << kWindow << " live keys: peak live heap "
            << r.peak << " B = " << static_cast<double>(r.peak) / kWindow
            << " B per live key = " << static_cast<double>(r.peak) / static_cast<double>(r.fresh)
            << " x a fresh map of " << kWindow << " keys (" << r.fresh << " B); " << pending_at_peak
            << " retired nodes pending at the peak; " << residual_after_quiesce << " B after quiesce(); "
            << waits << " back-pressure waits, " << r.give_ups << " given up\n";
  // Deleted keys wait for the next promotion cycle; the map itself never
  // holds more than a few times its live keys.
  EXPECT_LT(residual_after_quiesce, 8 * r.fresh);
  return r;
}

// The bound of docs/verification.md: a small multiple of what the live keys
// need, plus what reclamation keeps pending -- a constant per writing
// thread, not a multiple of the live keys: about two collections' worth
// (kCollectBytes) alone, and up to the pressure limit (kPressureBytes,
// doubled by each wait that gave up) while readers hold the epoch back.
constexpr long long kMapMultiple = 8;

TEST(MemoryChurn, FreshKeyStoreAndEraseKeepsTheLiveHeapBounded) {
  const churn_result r = expect_bounded_churn(company::none, "alone");
  EXPECT_LT(r.peak, kMapMultiple * r.fresh + 4 * static_cast<long long>(reclaim::kCollectBytes));
}

// With concurrent readers, retired nodes wait until every read section open
// at their retirement has ended (epoch-based reclamation): a reader thread
// preempted inside a section holds back reclamation meanwhile (3.6-11 MB
// here before the writer waited for it). Back-pressure makes the writer wait
// for that reader once its pending bytes pass kPressureBytes, so the peak is
// the map plus about that much.
long long concurrent_bound(const churn_result& r) {
  const long long pressure = static_cast<long long>(reclaim::kPressureBytes)
                             << std::min<std::uint64_t>(r.give_ups, 20);
  return kMapMultiple * r.fresh + 4 * pressure;
}

TEST(MemoryChurn, FreshKeyStoreAndEraseWithConcurrentReadersKeepsTheLiveHeapBounded) {
  const churn_result r = expect_bounded_churn(company::readers, "with 2 readers");
  EXPECT_LT(r.peak, concurrent_bound(r));
}

TEST(MemoryChurn, FreshKeyStoreAndEraseWithConcurrentRangeKeepsTheLiveHeapBounded) {
  const churn_result r = expect_bounded_churn(company::ranger, "with 2 range() loops");
  EXPECT_LT(r.peak, concurrent_bound(r));
}

// Erase 99% of the keys; then a bounded number of operations (a new key's
// store rebuilds dirty, range() promotes it: twice, because the first
// rebuild reserves room for the old snapshot's entry count) brings the heap
// back to within 2x of a fresh map of the survivors.
TEST(MemoryChurn, ErasingNinetyNinePercentReturnsMemoryAfterTwoPromotionCycles) {
  const long n = kSanitized ? 100'000 : 1'000'000;
  const long keep = n / 100;
  const long long fresh = fresh_map_bytes(static_cast<int>(keep + 2));
  reclaim::quiesce();
  const long long base = live_bytes();
  syncmap::sync_map<long, long> m;
  for (long k = 0; k < n; ++k) m.store(k, k);
  m.range([](long, long) { return false; });
  reclaim::quiesce();
  const long long full = live_bytes() - base;
  for (long k = 0; k < n; ++k) {
    if (k % 100 != 0) m.erase(k);
  }
  reclaim::quiesce();
  const long long erased = live_bytes() - base;
  long long after[2] = {0, 0};
  for (long long& a : after) {
    m.store(-1 - (&a - after), 0);              // a new key: dirty rebuilt from the live entries
    m.range([](long, long) { return false; });  // promotion: the deleted entries are retired
    reclaim::quiesce();
    a = live_bytes() - base;
  }
  std::cout << n << " keys: " << full << " B; after erasing 99%: " << erased << " B; after one cycle "
            << after[0] << " B, after two " << after[1] << " B; a fresh map of " << keep + 2
            << " keys: " << fresh << " B\n";
  EXPECT_EQ(m.size(), static_cast<std::size_t>(keep + 2));
  EXPECT_LE(after[1], 2 * fresh);
}

}  // namespace
