// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Migrating from std::unordered_map + std::shared_mutex to syncmap::sync_map.
//
// Below, the same small registry twice: `locked_registry` (the usual
// reader-writer-locked map) and `sync_registry` (sync_map), member for member
// side by side. main() drives both through the same operations -- first a
// scripted sequence, then several threads at once -- and exits 0 only if
// they agree on every result and on the final contents.
//
//   std::unordered_map + std::shared_mutex      syncmap::sync_map
//   ------------------------------------------  ------------------------------------------
//   shared_lock; find; copy the value            load(k) -> std::optional<V>
//   shared_lock; find; use the value in place    visit(k, f)  (f gets const V&)
//   shared_lock; count / contains                contains(k)
//   unique_lock; insert_or_assign                store(k, v)
//   unique_lock; try_emplace                     load_or_store(k, v) -> {actual, loaded}
//   unique_lock; extract                         load_and_delete(k) -> std::optional<V>
//   unique_lock; erase                           erase(k) -> bool
//   unique_lock; m[k] = v, returning the old v   swap(k, v) -> std::optional<V>
//   unique_lock; m[k] += d  (read-modify-write)  a compare_and_swap loop (see add())
//   shared_lock; for (auto& [k, v] : m)          range(f)  (not a snapshot, see below)
//   unique_lock; clear                           clear()
//   shared_lock; size / empty                    size() (O(n)) / empty()
//
// What changes besides the spelling:
//   - No iterators, no operator[], no references into the map: values come
//     out as copies (load) or as a const reference valid during a callback
//     (visit, range). A value is replaced as a whole, never modified in place.
//   - range() is not a snapshot: it runs while other threads write, shows
//     each key at most once, and may show any value a key had during the
//     call. In exchange it blocks nobody, and its callback may call the map
//     (with the shared_mutex, calling put() from inside for_each() deadlocks).
//   - size() is O(n): keep it off hot paths.
//   - It pays off for Go's two use cases: keys written once and read many
//     times, and threads working on disjoint keys. For write-heavy use of the
//     same keys, keep the locked map (README, "When not to use it").

#include <syncmap/sync_map.hpp>
#ifdef SYNCMAP_EXAMPLE_CHECKED_MAP
#include <syncmap/checked_map.hpp>
#endif

#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// ---------------------------------------------------------------- before --
class locked_registry {
 public:
  std::optional<int> get(const std::string& k) const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  bool has(const std::string& k) const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    return m_.count(k) != 0;
  }
  void put(const std::string& k, int v) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    m_.insert_or_assign(k, v);
  }
  // {the value now stored, whether it was already there}
  std::pair<int, bool> get_or_put(const std::string& k, int v) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    const auto [it, inserted] = m_.try_emplace(k, v);
    return {it->second, !inserted};
  }
  std::optional<int> take(const std::string& k) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto node = m_.extract(k);
    if (node.empty()) return std::nullopt;
    return node.mapped();
  }
  bool remove(const std::string& k) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    return m_.erase(k) != 0;
  }
  std::optional<int> replace(const std::string& k, int v) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end()) {
      m_.emplace(k, v);
      return std::nullopt;
    }
    return std::exchange(it->second, v);
  }
  void add(const std::string& k, int delta) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    m_[k] += delta;
  }
  template <class F>
  void for_each(F f) const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& [k, v] : m_) f(k, v);
  }
  void reset() {
    std::unique_lock<std::shared_mutex> lock(mu_);
    m_.clear();
  }
  std::size_t count() const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    return m_.size();
  }

 private:
  mutable std::shared_mutex mu_;
  // Built a second time as example_migrate_from_shared_mutex_checked with
  // the map swapped for syncmap::checked_map (Go's concurrent-map-misuse
  // check): the swap of this one type is the whole migration, and a correct
  // locked use never reports.
#ifdef SYNCMAP_EXAMPLE_CHECKED_MAP
  syncmap::checked_map<std::unordered_map<std::string, int>> m_;
#else
  std::unordered_map<std::string, int> m_;
#endif
};

// ----------------------------------------------------------------- after --
class sync_registry {
 public:
  std::optional<int> get(const std::string& k) const { return m_.load(k); }
  bool has(const std::string& k) const { return m_.contains(k); }
  void put(const std::string& k, int v) { m_.store(k, v); }
  std::pair<int, bool> get_or_put(const std::string& k, int v) { return m_.load_or_store(k, v); }
  std::optional<int> take(const std::string& k) { return m_.load_and_delete(k); }
  bool remove(const std::string& k) { return m_.erase(k); }
  std::optional<int> replace(const std::string& k, int v) { return m_.swap(k, v); }
  // No operator[]: a read-modify-write is a loop that retries when another
  // thread changed the value in between (as with std::atomic).
  void add(const std::string& k, int delta) {
    for (;;) {
      const auto [current, loaded] = m_.load_or_store(k, delta);
      if (!loaded) return;  // the key was absent: we stored `delta` (0 + delta)
      if (m_.compare_and_swap(k, current, current + delta)) return;
    }
  }
  template <class F>
  void for_each(F f) const {
    m_.range([&f](const std::string& k, int v) { f(k, v); });
  }
  void reset() { m_.clear(); }
  std::size_t count() const { return m_.size(); }

 private:
  syncmap::sync_map<std::string, int> m_;
};

// ------------------------------------------------------------ the checks --
int g_mismatches = 0;

template <class T>
void expect_same(const char* what, const T& before, const T& after) {
  if (!(before == after)) {
    std::printf("MISMATCH in %s\n", what);
    ++g_mismatches;
  }
}

template <class Registry>
std::map<std::string, int> contents(const Registry& r) {
  std::map<std::string, int> out;
  r.for_each([&out](const std::string& k, int v) { out.emplace(k, v); });
  return out;
}

// The same scripted calls on both; every result must agree.
void scripted(locked_registry& a, sync_registry& b) {
  expect_same("get of a missing key", a.get("x"), b.get("x"));
  a.put("x", 1);
  b.put("x", 1);
  expect_same("get", a.get("x"), b.get("x"));
  expect_same("has", a.has("x"), b.has("x"));
  expect_same("get_or_put of a present key", a.get_or_put("x", 9), b.get_or_put("x", 9));
  expect_same("get_or_put of a new key", a.get_or_put("y", 2), b.get_or_put("y", 2));
  expect_same("replace", a.replace("y", 3), b.replace("y", 3));
  expect_same("replace of a new key", a.replace("z", 4), b.replace("z", 4));
  a.add("z", 10);
  b.add("z", 10);
  a.add("w", 5);
  b.add("w", 5);
  expect_same("after add", contents(a), contents(b));
  expect_same("take", a.take("y"), b.take("y"));
  expect_same("take again", a.take("y"), b.take("y"));
  expect_same("remove", a.remove("x"), b.remove("x"));
  expect_same("remove again", a.remove("x"), b.remove("x"));
  expect_same("count", a.count(), b.count());
  expect_same("contents", contents(a), contents(b));
  a.reset();
  b.reset();
  expect_same("count after reset", a.count(), b.count());
}

// Several threads: each owns some keys (put/replace/take on them) and all add
// to a few shared counters. The end states must agree.
template <class Registry>
std::map<std::string, int> concurrent(Registry& r) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      const std::string own = "thread-" + std::to_string(t) + "-";
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = own + std::to_string(i % 50);
        r.put(key, i);
        if (i % 7 == 0) r.take(key);
        r.add("counter-" + std::to_string(i % 3), 1);
      }
    });
  }
  for (auto& th : threads) th.join();
  return contents(r);
}

}  // namespace

int main() {
  locked_registry before;
  sync_registry after;
  scripted(before, after);
  const auto a = concurrent(before);
  const auto b = concurrent(after);
  expect_same("contents after the concurrent phase", a, b);
  std::printf("%zu keys in each after the concurrent phase; %s\n", a.size(),
              g_mismatches == 0 ? "both versions agree on every result -- OK" : "FAILED");
  return g_mismatches == 0 ? 0 : 1;
}
