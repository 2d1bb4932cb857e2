// Bytes per live entry of each map at 1M int64 -> int64 entries.
//
//   map_memory [entries]       (default 1048576)
//
// Each map is built in a forked child, so that one map's freed memory and
// allocator state do not count against the next. Two measures:
//   heap  bytes handed out by operator new and not yet freed (counted with
//         malloc_usable_size, so including malloc's rounding but not its
//         per-chunk header), divided by the entries;
//   rss   growth of the resident set while the map was built, divided by
//         the entries (what the process really pays, allocator overhead and
//         freed-but-kept memory included).
// tbb::concurrent_hash_map allocates through tbbmalloc, not operator new, so
// only its rss is meaningful.
//
// syncmap::sync_map is measured in three states: right after the stores
// (every key in the dirty map, no snapshot yet), after range() promoted the
// dirty map to the snapshot (the read-mostly steady state), and after one
// more new key, which rebuilds a dirty map next to the snapshot (two tables
// of entry pointers; Go's design has the same two maps).
//
// Output: one line per (map, state): "memory <map> <state> <heap B/entry>
// <rss B/entry>", parsed by bench/report.py.

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#include "adapters.hpp"

namespace {

std::atomic<std::int64_t> g_live{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}

void* counted_aligned_alloc(std::size_t n, std::size_t align) {
  void* p = nullptr;
  if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n == 0 ? 1 : n) != 0) {
    throw std::bad_alloc();
  }
  g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  g_live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct sample {
  std::int64_t heap;
  std::int64_t rss;
};

sample now() { return {g_live.load(), rss_bytes()}; }

void report(const char* map, const char* state, const sample& before, std::int64_t entries) {
  const sample after = now();
  std::printf("memory %s %s %.1f %.1f\n", map, state,
              static_cast<double>(after.heap - before.heap) / static_cast<double>(entries),
              static_cast<double>(after.rss - before.rss) / static_cast<double>(entries));
  std::fflush(stdout);
}

template <class M>
void measure(std::int64_t entries) {
  const sample before = now();
  bench::map_options o;
  o.expected_keys = static_cast<std::size_t>(entries);
  M m(o);
  for (std::int64_t k = 0; k < entries; ++k) m.store(k, k);
  report(M::kName, "filled", before, entries);
  if constexpr (std::is_same<M, bench::syncmap_map>::value) {
    m.range([](std::int64_t /*k*/, std::int64_t /*v*/) { return false; });
    report(M::kName, "promoted", before, entries);
    m.store(entries, entries);
    report(M::kName, "rebuilt", before, entries);
  }
}

// Runs measure<M> in a child process; the parent waits for it.
template <class M>
bool in_child(std::int64_t entries) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    {
      const bench::cds_runtime cds;
      measure<M>(entries);
    }
    std::_Exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

// Counting replacements of the global allocation functions.
void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_aligned_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_aligned_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t /*n*/) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t /*n*/) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t /*a*/) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t /*a*/) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t /*n*/, std::align_val_t /*a*/) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t /*n*/, std::align_val_t /*a*/) noexcept { counted_free(p); }

int main(int argc, char** argv) {
  const std::int64_t entries = argc > 1 ? std::strtoll(argv[1], nullptr, 10) : std::int64_t{1} << 20;
  if (entries <= 0) {
    std::fprintf(stderr, "usage: map_memory [entries]\n");
    return 2;
  }
  bool ok = true;
  ok = in_child<bench::syncmap_map>(entries) && ok;
  ok = in_child<bench::std_shared_mutex_map>(entries) && ok;
  ok = in_child<bench::absl_mutex_map>(entries) && ok;
  ok = in_child<bench::tbb_map>(entries) && ok;
  ok = in_child<bench::libcuckoo_map>(entries) && ok;
  ok = in_child<bench::libcds_map>(entries) && ok;
  ok = in_child<bench::absl_nolock_map>(entries) && ok;
  return ok ? 0 : 1;
}
