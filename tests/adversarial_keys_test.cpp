// Adversarial keys: a hash that sends every key to one value, and keys built
// to collide under a weak user hash. The map stays correct; the cost is that
// of any open-addressing table with colliding keys: every lookup of such a
// key compares it with every colliding key (O(n) per operation, O(n^2) to
// fill), which the test prints. The default absl::Hash mixes a per-process
// seed (the address of a global, randomized by ASLR): the same key hashes
// differently in two processes, so collisions cannot be precomputed offline.

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include <syncmap/sync_map.hpp>

#include "support/sanitizers.hpp"

namespace {

using syncmap_test::kSanitized;

struct constant_hash {
  template <class K>
  std::size_t operator()(const K&) const {
    return 42;
  }
};

// Java's String.hashCode: "Aa" and "BB" collide, so every string made of n
// such blocks collides with 2^n - 1 others.
struct weak_string_hash {
  std::size_t operator()(const std::string& s) const {
    std::uint32_t h = 0;
    for (const char c : s) h = 31 * h + static_cast<unsigned char>(c);
    return h;
  }
};

std::vector<std::string> colliding_strings(int blocks) {
  std::vector<std::string> out{""};
  for (int b = 0; b < blocks; ++b) {
    std::vector<std::string> next;
    for (const auto& s : out) {
      next.push_back(s + "Aa");
      next.push_back(s + "BB");
    }
    out.swap(next);
  }
  return out;
}

// Random operations on `keys` through every path (snapshot, dirty, promotion,
// expunge, clear), each result compared with a std::map model.
template <class Map, class Key>
void run_against_model(Map& m, const std::vector<Key>& keys, int ops, unsigned seed) {
  std::map<Key, int> model;
  std::mt19937 rng(seed);
  for (int i = 0; i < ops; ++i) {
    const Key& k = keys[rng() % keys.size()];
    const auto it = model.find(k);
    const bool present = it != model.end();
    switch (rng() % 8) {
      case 0:
      case 1: {
        const auto v = m.load(k);
        ASSERT_EQ(v.has_value(), present) << i;
        if (present) {
          ASSERT_EQ(*v, it->second) << i;
        }
        break;
      }
      case 2:
      case 3:
        m.store(k, i);
        model[k] = i;
        break;
      case 4: {
        const auto r = m.load_or_store(k, i);
        ASSERT_EQ(r.second, present) << i;
        ASSERT_EQ(r.first, present ? it->second : i) << i;
        if (!present) model[k] = i;
        break;
      }
      case 5:
        ASSERT_EQ(m.erase(k), present) << i;
        model.erase(k);
        break;
      case 6: {
        const auto prev = m.swap(k, i);
        ASSERT_EQ(prev.has_value(), present) << i;
        if (present) {
          ASSERT_EQ(*prev, it->second) << i;
        }
        model[k] = i;
        break;
      }
      default:
        if (rng() % 500 == 0) {
          m.clear();
          model.clear();
        } else {
          ASSERT_EQ(m.contains(k), present) << i;
        }
        break;
    }
  }
  std::map<Key, int> seen;
  m.range([&seen](const Key& k, int v) { seen[k] = v; });
  EXPECT_EQ(seen, model);
  EXPECT_EQ(m.size(), model.size());
}

TEST(AdversarialKeys, ConstantHashKeepsEveryOperationCorrect) {
  syncmap::sync_map<int, int, constant_hash> m;
  std::vector<int> keys;
  for (int k = 0; k < (kSanitized ? 300 : 1000); ++k) keys.push_back(k);
  run_against_model(m, keys, kSanitized ? 20'000 : 100'000, 1);
}

TEST(AdversarialKeys, KeysCollidingUnderAWeakUserHashStayDistinct) {
  const auto keys = colliding_strings(kSanitized ? 8 : 10);  // 256 or 1024 keys, one hash
  const weak_string_hash h;
  for (const auto& k : keys) ASSERT_EQ(h(k), h(keys[0]));
  syncmap::sync_map<std::string, int, weak_string_hash> m;
  run_against_model(m, keys, kSanitized ? 20'000 : 100'000, 2);
}

// Prints the cost: filling n keys that all collide against n keys under a
// good hash (not asserted: timing on a shared machine is noisy).
TEST(AdversarialKeys, CollidingKeysCostLinearTimePerOperation) {
  constexpr int n = kSanitized ? 500 : 4000;
  auto fill_ms = [](auto& m) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < n; ++k) m.store(k, k);
    for (int k = 0; k < n; ++k) EXPECT_EQ(m.load(k), k);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  syncmap::sync_map<int, int, constant_hash> bad;
  syncmap::sync_map<int, int> good;
  const double bad_ms = fill_ms(bad);
  const double good_ms = fill_ms(good);
  std::cout << "store+load of " << n << " keys: constant hash " << bad_ms << " ms, absl::Hash " << good_ms
            << " ms\n";
  EXPECT_EQ(bad.size(), static_cast<std::size_t>(n));
}

// With SYNCMAP_PRINT_DEFAULT_HASH set, the test program prints the default
// hash of a fixed key and exits before any test runs (see the test below).
const bool printed_default_hash = [] {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before main, no other thread
  if (std::getenv("SYNCMAP_PRINT_DEFAULT_HASH") != nullptr) {
    std::printf("%zu\n", syncmap::sync_map<std::string, int>().hash_function()(std::string("fixed key")));
    std::fflush(stdout);
    _exit(0);
  }
  return false;
}();

std::string default_hash_in_a_new_process() {
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return "";
  const std::string command = std::string("SYNCMAP_PRINT_DEFAULT_HASH=1 '") + self + "'";
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return "";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, p) != nullptr;
  pclose(p);
  return ok ? std::string(buf) : std::string();
}

TEST(AdversarialKeys, DefaultHashIsSeededPerProcess) {
  EXPECT_FALSE(printed_default_hash);
  FILE* aslr = std::fopen("/proc/sys/kernel/randomize_va_space", "r");
  int level = 0;
  if (aslr != nullptr) {
    if (std::fscanf(aslr, "%d", &level) != 1) level = 0;
    std::fclose(aslr);
  }
  if (level == 0) GTEST_SKIP() << "ASLR is off: absl::Hash's seed is then the same in every process";
  const std::string a = default_hash_in_a_new_process();
  const std::string b = default_hash_in_a_new_process();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a, b) << "the same key hashed equally in two processes";
}

}  // namespace
