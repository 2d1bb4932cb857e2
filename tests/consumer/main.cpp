// Uses the installed (or add_subdirectory'd) library from several threads and
// exits 0 only if every value arrived.
#include <syncmap/sync_map.hpp>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
  syncmap::sync_map<std::string, int> m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 1000; ++i) m.store(std::to_string(t * 1000 + i), i);
    });
  }
  for (auto& th : threads) th.join();
  const std::size_t n = m.size();
  std::printf("consumer: %zu keys\n", n);
  return n == 4000 && m.load("1999") == 999 ? 0 : 1;
}
