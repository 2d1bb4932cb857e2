// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Migrating from Go's sync.Map: every method, Go above and C++ below, in a
// program that runs and checks that each call returns what the Go comment
// says Go's would. Exits 0 only if all of them do.
//
//   Go (sync.Map, Go 1.23)                      C++ (syncmap::sync_map<K, V>)
//   ------------------------------------------  --------------------------------------------------
//   var m sync.Map                              syncmap::sync_map<std::string, int> m;
//   m.Store(k, v)                               m.store(k, v);
//   v, ok := m.Load(k)                          std::optional<int> v = m.load(k);
//   actual, loaded := m.LoadOrStore(k, v)       auto [actual, loaded] = m.load_or_store(k, v);
//   v, loaded := m.LoadAndDelete(k)             std::optional<int> v = m.load_and_delete(k);
//   m.Delete(k)                                 m.erase(k);            // returns whether it removed
//   previous, loaded := m.Swap(k, v)            std::optional<int> previous = m.swap(k, v);
//   swapped := m.CompareAndSwap(k, old, new)    bool swapped = m.compare_and_swap(k, old, new);
//   deleted := m.CompareAndDelete(k, old)       bool deleted = m.compare_and_delete(k, old);
//   m.Range(func(k, v any) bool {...})          m.range([](const std::string& k, int v) {...});
//   m.Clear()                                   m.clear();
//   (no Len)                                    m.size(), m.empty()
//   (no equivalent)                             m.contains(k), m.visit(k, f)
//
// Differences to keep in mind:
//   - Types: keys and values are typed (no `any`, no type assertions).
//     compare_and_swap/compare_and_delete need V's operator== at compile
//     time, where Go panics at run time on an incomparable value.
//   - "Not found" is std::nullopt rather than (nil, false).
//   - A value is copied out by load(); visit(k, f) reads it in place.
//   - Go's Map must not be copied after first use; sync_map cannot be copied
//     or moved at all.
//   - Memory: no garbage collector, but nothing to do either -- replaced and
//     deleted values are destroyed once no reader can still see them.
//   - Guarantees are Go's: linearizable operations (range excepted, with
//     Go's Range semantics), and a write happens before any read that
//     observes it.

#include <syncmap/sync_map.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

int g_failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++g_failures;
  }
}

void every_method() {
  // var m sync.Map
  syncmap::sync_map<std::string, int> m;  // ready to use, like Go's zero value

  // m.Store("apples", 3)
  m.store("apples", 3);

  // v, ok := m.Load("apples")                   // 3, true
  // n := v.(int)
  std::optional<int> v = m.load("apples");
  check(v.has_value() && *v == 3, "Load of a stored key");

  // _, ok = m.Load("plums")                     // nil, false
  check(!m.load("plums").has_value(), "Load of a missing key");

  // actual, loaded := m.LoadOrStore("pears", 5) // 5, false: stored
  auto [actual, loaded] = m.load_or_store("pears", 5);
  check(actual == 5 && !loaded, "LoadOrStore of a new key");

  // actual, loaded = m.LoadOrStore("pears", 6)  // 5, true: loaded
  std::tie(actual, loaded) = m.load_or_store("pears", 6);
  check(actual == 5 && loaded, "LoadOrStore of a present key");

  // previous, loaded := m.Swap("apples", 4)     // 3, true
  std::optional<int> previous = m.swap("apples", 4);
  check(previous == 3, "Swap of a present key");

  // previous, loaded = m.Swap("kiwis", 1)       // nil, false (and stores 1)
  previous = m.swap("kiwis", 1);
  check(!previous.has_value() && m.load("kiwis") == 1, "Swap of a new key");

  // swapped := m.CompareAndSwap("apples", 4, 10) // true
  check(m.compare_and_swap("apples", 4, 10), "CompareAndSwap with the current value");

  // swapped = m.CompareAndSwap("apples", 4, 11)  // false: the value is 10
  check(!m.compare_and_swap("apples", 4, 11), "CompareAndSwap with a stale value");

  // deleted := m.CompareAndDelete("pears", 6)   // false: the value is 5
  check(!m.compare_and_delete("pears", 6), "CompareAndDelete with another value");

  // v, loaded = m.LoadAndDelete("pears")        // 5, true
  v = m.load_and_delete("pears");
  check(v == 5 && !m.contains("pears"), "LoadAndDelete");

  // m.Delete("kiwis")
  check(m.erase("kiwis"), "Delete (erase returns whether a value was removed)");
  check(!m.erase("kiwis"), "Delete of a missing key is a no-op");

  // m.Range(func(k, v any) bool {
  //     fmt.Println(k, v.(int))
  //     return true                               // false would stop
  // })
  int visited = 0;
  m.range([&visited](const std::string& k, int value) {
    std::printf("  %s = %d\n", k.c_str(), value);
    ++visited;
    return true;  // false stops; a callback returning void visits everything
  });
  check(visited == 1, "Range visits the one key left");

  // Reading a value in place, without the copy Load makes (no Go equivalent):
  check(m.visit("apples", [](const int& value) { std::printf("  apples is %d\n", value); }), "visit");

  // m.Clear()
  m.clear();
  check(m.empty() && m.size() == 0, "Clear");
}

// Go's second use case, goroutines writing disjoint keys:
//
//   var wg sync.WaitGroup
//   for w := 0; w < 4; w++ {
//       wg.Add(1)
//       go func(w int) {
//           defer wg.Done()
//           for i := 0; i < 1000; i++ {
//               m.Store(fmt.Sprintf("w%d-%d", w, i), i)
//           }
//       }(w)
//   }
//   wg.Wait()
//   n := 0
//   m.Range(func(_, _ any) bool { n++; return true })   // Go has no Len
void goroutines() {
  syncmap::sync_map<std::string, int> m;
  std::vector<std::thread> workers;  // goroutines -> threads, wg.Wait() -> join()
  workers.reserve(4);
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&m, w] {
      for (int i = 0; i < 1000; ++i) m.store("w" + std::to_string(w) + "-" + std::to_string(i), i);
    });
  }
  for (auto& t : workers) t.join();
  check(m.size() == 4000, "every goroutine's keys are there");
  check(m.load("w3-999") == 999, "a goroutine's last store");
}

}  // namespace

int main() {
  every_method();
  goroutines();
  std::printf("%s\n", g_failures == 0 ? "every call returned what Go's would -- OK" : "FAILED");
  return g_failures == 0 ? 0 : 1;
}
