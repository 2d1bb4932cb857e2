// One interface over syncmap::sync_map and the concurrent maps a C++ user
// would pick instead, so that every workload (workloads.hpp) runs the same
// code on each. All maps are int64 -> int64.
//
// Every adapter offers Go's sync.Map operations with Go's semantics:
//   load, store, load_or_store, load_and_delete, erase (Delete), swap,
//   compare_and_swap, compare_and_delete, range, clear
// and a thread_scope that each benchmark thread holds while it uses the map
// (libcds needs its threads attached; for the others it is empty).
//
// Where a peer lacks an operation, the adapter builds it from the peer's own
// synchronization (its locks, accessors or atomics), never from an extra lock
// on the hot path; each class says how. Each peer uses its own default hash,
// as a user who picks it would.
//
// range(f): f(key, value) returns false to stop. For syncmap::sync_map, f may
// call the map; for the lock-based peers it runs under the map's lock and must
// not (the workloads never do).

#ifndef SYNCMAP_BENCH_ADAPTERS_HPP_
#define SYNCMAP_BENCH_ADAPTERS_HPP_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <absl/synchronization/mutex.h>
#include <cds/container/iterable_kvlist_hp.h>
#include <cds/container/michael_map.h>
#include <cds/gc/hp.h>
#include <cds/init.h>
#include <oneapi/tbb/concurrent_hash_map.h>
#include <libcuckoo/cuckoohash_map.hh>

#include <syncmap/sync_map.hpp>

// Every adapter's load() is forced inline into the benchmark loop, for every
// map alike. Left to GCC's heuristics, whether the adapter's load (the map's
// lookup and the std::optional it returns) lands in the loop or stays a
// call depends on how big the map's inlined lookup is -- the unlocked
// flat_hash_map's was inlined, sync_map's and libcds's were not -- and the
// call, its prologue and the optional returned through memory then cost a
// few nanoseconds of a 3-10 ns load: the table compared GCC's inlining
// budget, not the maps. (A user's own call site is subject to the same
// heuristics; sync_map::load itself is always_inline.)
#define BENCH_INLINE inline __attribute__((always_inline))

namespace bench {

using key_t = std::int64_t;
using value_t = std::int64_t;

// What a workload tells the maps before it starts.
struct map_options {
  // The number of keys the workload is expected to reach: libcds's Michael
  // map has a fixed bucket array and is sized from it, as its users do.
  std::size_t expected_keys = 1024;
  // Whether range() or clear() run concurrently with other operations
  // (tbb needs to know; see tbb_map).
  bool traversal_with_writers = false;
};

// Nothing to attach.
struct no_thread_scope {};

// ---------------------------------------------------------------------------
// syncmap::sync_map: the map under test. Every operation is native.
class syncmap_map {
 public:
  static constexpr const char* kName = "sync_map";
  using thread_scope = no_thread_scope;

  explicit syncmap_map(const map_options& /*unused*/) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const { return m_.load(k); }
  void store(key_t k, value_t v) { m_.store(k, v); }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) { return m_.load_or_store(k, v); }
  std::optional<value_t> load_and_delete(key_t k) { return m_.load_and_delete(k); }
  bool erase(key_t k) { return m_.erase(k); }
  std::optional<value_t> swap(key_t k, value_t v) { return m_.swap(k, v); }
  bool compare_and_swap(key_t k, value_t old_v, value_t new_v) {
    return m_.compare_and_swap(k, old_v, new_v);
  }
  bool compare_and_delete(key_t k, value_t old_v) { return m_.compare_and_delete(k, old_v); }
  template <class F>
  void range(F&& f) const {
    m_.range([&f](key_t k, value_t v) -> bool { return f(k, v); });
  }
  void clear() { m_.clear(); }

 private:
  syncmap::sync_map<key_t, value_t> m_;
};

// ---------------------------------------------------------------------------
// A hash map behind a reader-writer lock: Go's RWMutexMap, the textbook
// alternative. Reads take the lock shared, everything else exclusive.
// Derived supplies read_lock(mu) and write_lock(mu), RAII guards.
template <class Map, class Mutex, class Derived>
class locked_map {
 public:
  using thread_scope = no_thread_scope;

  explicit locked_map(const map_options& /*unused*/) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const {
    const auto lock = Derived::read_lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  void store(key_t k, value_t v) {
    const auto lock = Derived::write_lock(mu_);
    m_.insert_or_assign(k, v);
  }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) {
    const auto lock = Derived::write_lock(mu_);
    const auto [it, inserted] = m_.try_emplace(k, v);
    return {it->second, !inserted};
  }
  std::optional<value_t> load_and_delete(key_t k) {
    const auto lock = Derived::write_lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    const value_t v = it->second;
    m_.erase(it);
    return v;
  }
  bool erase(key_t k) {
    const auto lock = Derived::write_lock(mu_);
    return m_.erase(k) != 0;
  }
  std::optional<value_t> swap(key_t k, value_t v) {
    const auto lock = Derived::write_lock(mu_);
    const auto [it, inserted] = m_.try_emplace(k, v);
    if (inserted) return std::nullopt;
    return std::exchange(it->second, v);
  }
  bool compare_and_swap(key_t k, value_t old_v, value_t new_v) {
    const auto lock = Derived::write_lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end() || it->second != old_v) return false;
    it->second = new_v;
    return true;
  }
  bool compare_and_delete(key_t k, value_t old_v) {
    const auto lock = Derived::write_lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end() || it->second != old_v) return false;
    m_.erase(it);
    return true;
  }
  // Iterates under the shared lock (a copy of the keys first, as Go's
  // RWMutexMap does, would only be slower).
  template <class F>
  void range(F&& f) const {
    const auto lock = Derived::read_lock(mu_);
    for (const auto& [k, v] : m_) {
      if (!f(k, v)) break;
    }
  }
  void clear() {
    const auto lock = Derived::write_lock(mu_);
    m_.clear();
  }

 private:
  mutable Mutex mu_;
  Map m_;
};

class std_shared_mutex_map
    : public locked_map<std::unordered_map<key_t, value_t>, std::shared_mutex, std_shared_mutex_map> {
 public:
  static constexpr const char* kName = "std_shared_mutex";
  using locked_map::locked_map;
  static std::shared_lock<std::shared_mutex> read_lock(std::shared_mutex& mu) {
    return std::shared_lock<std::shared_mutex>(mu);
  }
  static std::unique_lock<std::shared_mutex> write_lock(std::shared_mutex& mu) {
    return std::unique_lock<std::shared_mutex>(mu);
  }
};

// absl::Mutex: whether its deadlock detection is on is decided by the
// benchmark's main (map_bench.cpp), not here.
class absl_mutex_map : public locked_map<absl::flat_hash_map<key_t, value_t>, absl::Mutex, absl_mutex_map> {
 public:
  static constexpr const char* kName = "absl_mutex";
  using locked_map::locked_map;
  // Non-movable guards, returned as prvalues (guaranteed copy elision).
  static absl::ReaderMutexLock read_lock(absl::Mutex& mu) { return absl::ReaderMutexLock(&mu); }
  static absl::MutexLock write_lock(absl::Mutex& mu) { return absl::MutexLock(&mu); }
};

// ---------------------------------------------------------------------------
// tbb::concurrent_hash_map: per-element reader-writer locks through
// accessors. A const_accessor (read lock) serves loads; an accessor (write
// lock) serves every read-modify-write, so each is atomic for its key:
// compare_and_delete and load_and_delete erase through the accessor they
// compared with, swap and load_or_store insert-or-find with one accessor.
//
// TBB's traversal and clear() are not safe concurrently with any other
// operation (lookups rehash buckets lazily). In workloads where they run
// alongside other operations (AdversarialDelete, Clear), every operation
// takes `traversal_` shared and range()/clear() take it exclusive, which is
// what a tbb user needing Go's Range/Clear would have to do; elsewhere no
// extra lock is taken.
class tbb_map {
  using map_type = tbb::concurrent_hash_map<key_t, value_t>;

 public:
  static constexpr const char* kName = "tbb_chm";
  using thread_scope = no_thread_scope;

  explicit tbb_map(const map_options& o) : guarded_(o.traversal_with_writers) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const {
    const auto g = shared();
    map_type::const_accessor a;
    if (!m_.find(a, k)) return std::nullopt;
    return a->second;
  }
  void store(key_t k, value_t v) {
    const auto g = shared();
    map_type::accessor a;
    m_.insert(a, k);
    a->second = v;
  }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) {
    const auto g = shared();
    map_type::accessor a;
    if (m_.insert(a, map_type::value_type(k, v))) return {v, false};
    return {a->second, true};
  }
  std::optional<value_t> load_and_delete(key_t k) {
    const auto g = shared();
    map_type::accessor a;
    if (!m_.find(a, k)) return std::nullopt;
    const value_t v = a->second;
    m_.erase(a);
    return v;
  }
  bool erase(key_t k) {
    const auto g = shared();
    return m_.erase(k);
  }
  std::optional<value_t> swap(key_t k, value_t v) {
    const auto g = shared();
    map_type::accessor a;
    if (m_.insert(a, map_type::value_type(k, v))) return std::nullopt;
    return std::exchange(a->second, v);
  }
  bool compare_and_swap(key_t k, value_t old_v, value_t new_v) {
    const auto g = shared();
    map_type::accessor a;
    if (!m_.find(a, k) || a->second != old_v) return false;
    a->second = new_v;
    return true;
  }
  bool compare_and_delete(key_t k, value_t old_v) {
    const auto g = shared();
    map_type::accessor a;
    if (!m_.find(a, k) || a->second != old_v) return false;
    m_.erase(a);
    return true;
  }
  template <class F>
  void range(F&& f) const {
    const auto g = exclusive();
    for (const auto& [k, v] : m_) {
      if (!f(k, v)) break;
    }
  }
  void clear() {
    const auto g = exclusive();
    m_.clear();
  }

 private:
  std::shared_lock<std::shared_mutex> shared() const {
    return guarded_ ? std::shared_lock<std::shared_mutex>(traversal_) : std::shared_lock<std::shared_mutex>();
  }
  std::unique_lock<std::shared_mutex> exclusive() const {
    return guarded_ ? std::unique_lock<std::shared_mutex>(traversal_) : std::unique_lock<std::shared_mutex>();
  }

  const bool guarded_;
  mutable std::shared_mutex traversal_;
  mutable map_type m_;
};

// ---------------------------------------------------------------------------
// libcuckoo's cuckoohash_map: striped spin locks, two buckets locked per
// operation. Every read-modify-write is one of its *_fn calls, which run the
// functor with the key's buckets locked: load_or_store and swap are
// uprase_fn, load_and_delete and compare_and_delete are erase_fn (the functor
// decides whether to erase), compare_and_swap is update_fn. range() iterates
// a locked_table (lock_table() takes every lock), libcuckoo's way.
class libcuckoo_map {
 public:
  static constexpr const char* kName = "libcuckoo";
  using thread_scope = no_thread_scope;

  explicit libcuckoo_map(const map_options& /*unused*/) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const {
    value_t v = 0;
    if (!m_.find(k, v)) return std::nullopt;
    return v;
  }
  void store(key_t k, value_t v) { m_.insert_or_assign(k, v); }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) {
    value_t actual = v;
    const bool inserted = m_.uprase_fn(
        k,
        [&actual](value_t& cur) {
          actual = cur;
          return false;
        },
        v);
    return {actual, !inserted};
  }
  std::optional<value_t> load_and_delete(key_t k) {
    std::optional<value_t> out;
    m_.erase_fn(k, [&out](value_t& cur) {
      out = cur;
      return true;
    });
    return out;
  }
  bool erase(key_t k) { return m_.erase(k); }
  std::optional<value_t> swap(key_t k, value_t v) {
    std::optional<value_t> prev;
    m_.uprase_fn(
        k,
        [&prev, v](value_t& cur) {
          prev = std::exchange(cur, v);
          return false;
        },
        v);
    return prev;
  }
  bool compare_and_swap(key_t k, value_t old_v, value_t new_v) {
    bool swapped = false;
    m_.update_fn(k, [&](value_t& cur) {
      if (cur == old_v) {
        cur = new_v;
        swapped = true;
      }
    });
    return swapped;
  }
  bool compare_and_delete(key_t k, value_t old_v) {
    bool deleted = false;
    m_.erase_fn(k, [&](const value_t& cur) {
      deleted = cur == old_v;
      return deleted;
    });
    return deleted;
  }
  template <class F>
  void range(F&& f) {
    const auto locked = m_.lock_table();
    for (const auto& [k, v] : locked) {
      if (!f(k, v)) break;
    }
  }
  void clear() { m_.clear(); }

 private:
  mutable libcuckoo::cuckoohash_map<key_t, value_t> m_;
};

// ---------------------------------------------------------------------------
// libcds's MichaelHashMap over IterableKVList, with hazard pointers: a
// lock-free map. IterableKVList rather than MichaelKVList because only its
// iterators are safe under concurrent deletion (libcds documents the
// MichaelKVList iterator as "for debugging purpose only").
//
// libcds has no compare-and-* and no swap returning the old value, so each
// value is a std::atomic in the node and those operations CAS it in place,
// with two reserved values (never used by the workloads):
//   kTombstone -- the key was deleted by compare_and_delete; the node stays
//                 linked and a later store revives it (like sync_map's nil
//                 entries);
//   kDead      -- the node was claimed by erase/load_and_delete/clear, which
//                 exchanged kDead in (the linearization point) and then
//                 unlinks it. Nobody revives a dead node: an operation that
//                 meets one retries until the node is gone.
// Only the thread that swapped kDead in unlinks the node, and nothing else
// replaces a node's data (no upsert is ever called), so its erase(key)
// removes exactly that node. A delete therefore costs two lookups.
class libcds_map {
  static constexpr value_t kTombstone = std::numeric_limits<value_t>::min();
  static constexpr value_t kDead = kTombstone + 1;
  static bool present(value_t v) { return v != kTombstone && v != kDead; }

  // The value cell. The move constructor exists only because libcds builds
  // the node from a temporary; no cell is moved once published.
  struct cell {
    cell() noexcept = default;
    explicit cell(value_t x) noexcept : v(x) {}
    cell(cell&& o) noexcept : v(o.v.load(std::memory_order_relaxed)) {}
    cell(const cell&) = delete;
    cell& operator=(const cell&) = delete;
    cell& operator=(cell&&) = delete;
    ~cell() = default;
    std::atomic<value_t> v{kTombstone};
  };
  struct list_traits : cds::container::iterable_list::traits {
    using less = std::less<key_t>;
  };
  using list_type = cds::container::IterableKVList<cds::gc::HP, key_t, cell, list_traits>;
  struct map_traits : cds::container::michael_map::traits {
    using hash = std::hash<key_t>;
  };
  using map_type = cds::container::MichaelHashMap<cds::gc::HP, list_type, map_traits>;
  using item_type = map_type::value_type;

 public:
  static constexpr const char* kName = "libcds_michael";

  // libcds requires every thread that touches a container to be attached.
  class thread_scope {
   public:
    thread_scope() { cds::threading::Manager::attachThread(); }
    ~thread_scope() { cds::threading::Manager::detachThread(); }
    thread_scope(const thread_scope&) = delete;
    thread_scope& operator=(const thread_scope&) = delete;
  };

  // Load factor 1, libcds's own recommendation for Michael's map.
  explicit libcds_map(const map_options& o) : m_(o.expected_keys, 1) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const {
    value_t v = kTombstone;
    m_.find(k, [&v](item_type& item) { v = item.second.v.load(std::memory_order_acquire); });
    if (!present(v)) return std::nullopt;
    return v;
  }
  void store(key_t k, value_t v) { (void)swap(k, v); }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) {
    for (;;) {
      enum { kNone, kLoaded, kStored, kRetry } outcome = kNone;
      value_t actual = v;
      m_.find(k, [&](item_type& item) {
        value_t cur = item.second.v.load(std::memory_order_acquire);
        for (;;) {
          if (cur == kDead) {
            outcome = kRetry;
            return;
          }
          if (cur != kTombstone) {
            actual = cur;
            outcome = kLoaded;
            return;
          }
          if (item.second.v.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
            outcome = kStored;
            return;
          }
        }
      });
      if (outcome == kLoaded) return {actual, true};
      if (outcome == kStored) return {v, false};
      if (outcome == kNone && m_.emplace(k, v)) return {v, false};
      std::this_thread::yield();  // a dead node is being unlinked
    }
  }
  std::optional<value_t> load_and_delete(key_t k) {
    value_t prev = kDead;
    if (!m_.find(k, [&prev](item_type& item) {
          prev = item.second.v.exchange(kDead, std::memory_order_acq_rel);
        })) {
      return std::nullopt;
    }
    if (prev == kDead) return std::nullopt;  // another delete claimed it first
    m_.erase(k);
    if (prev == kTombstone) return std::nullopt;
    return prev;
  }
  bool erase(key_t k) { return load_and_delete(k).has_value(); }
  std::optional<value_t> swap(key_t k, value_t v) {
    for (;;) {
      bool dead = false;
      value_t prev = kTombstone;
      const bool found = m_.find(k, [&](item_type& item) {
        prev = item.second.v.load(std::memory_order_relaxed);
        while (prev != kDead) {
          if (item.second.v.compare_exchange_weak(prev, v, std::memory_order_acq_rel)) return;
        }
        dead = true;
      });
      if (found && !dead) {
        if (prev == kTombstone) return std::nullopt;
        return prev;
      }
      if (!found && m_.emplace(k, v)) return std::nullopt;
      std::this_thread::yield();  // a dead node is being unlinked
    }
  }
  // `old_v` is never a reserved value, so a tombstoned or dead cell never
  // matches: the key is absent.
  bool compare_and_swap(key_t k, value_t old_v, value_t new_v) {
    bool swapped = false;
    m_.find(k, [&](item_type& item) {
      value_t expected = old_v;
      swapped = item.second.v.compare_exchange_strong(expected, new_v, std::memory_order_acq_rel);
    });
    return swapped;
  }
  bool compare_and_delete(key_t k, value_t old_v) {
    bool deleted = false;
    m_.find(k, [&](item_type& item) {
      value_t expected = old_v;
      deleted = item.second.v.compare_exchange_strong(expected, kTombstone, std::memory_order_acq_rel);
    });
    return deleted;
  }
  template <class F>
  void range(F&& f) {
    const auto end = m_.end();
    for (auto it = m_.begin(); it != end; ++it) {
      const value_t v = it->second.v.load(std::memory_order_acquire);
      if (!present(v)) continue;
      if (!f(it->first, v)) break;
    }
  }
  // Claims and unlinks node by node (libcds's own clear() would unlink nodes
  // other threads are about to kill, breaking the one-unlinker rule).
  void clear() {
    const auto end = m_.end();
    for (auto it = m_.begin(); it != end; ++it) {
      if (it->second.v.exchange(kDead, std::memory_order_acq_rel) != kDead) m_.erase_at(it);
    }
  }

 private:
  mutable map_type m_;
};

// ---------------------------------------------------------------------------
// The physical reference for the read path: absl::flat_hash_map with no
// synchronization at all. Single-threaded runs of read workloads only.
class absl_nolock_map {
 public:
  static constexpr const char* kName = "absl_nolock";
  using thread_scope = no_thread_scope;

  explicit absl_nolock_map(const map_options& /*unused*/) {}

  BENCH_INLINE std::optional<value_t> load(key_t k) const {
    const auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  std::pair<value_t, bool> load_or_store(key_t k, value_t v) {
    const auto [it, inserted] = m_.try_emplace(k, v);
    return {it->second, !inserted};
  }
  void store(key_t k, value_t v) { m_.insert_or_assign(k, v); }

 private:
  absl::flat_hash_map<key_t, value_t> m_;
};

// Keeps libcds's process-wide state alive: cds::Initialize, the hazard
// pointer singleton and the calling (main) thread's attachment.
class cds_runtime {
 public:
  cds_runtime() = default;
  cds_runtime(const cds_runtime&) = delete;
  cds_runtime& operator=(const cds_runtime&) = delete;
  ~cds_runtime() = default;

 private:
  struct initializer {
    initializer() { cds::Initialize(); }
    ~initializer() { cds::Terminate(); }
    initializer(const initializer&) = delete;
    initializer& operator=(const initializer&) = delete;
  };
  initializer init_;
  cds::gc::HP hp_;
  libcds_map::thread_scope main_;
};

}  // namespace bench

#endif  // SYNCMAP_BENCH_ADAPTERS_HPP_
