// Heterogeneous lookup: with a transparent Hash and KeyEqual, load, contains,
// visit, erase and load_and_delete take any key type the functors accept,
// without constructing a Key.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include <syncmap/string_hash.hpp>
#include <syncmap/sync_map.hpp>

namespace {

using string_map = syncmap::sync_map<std::string, int, syncmap::string_hash, std::equal_to<>>;

TEST(HeterogeneousLookup, StringViewFindsAStringKey) {
  string_map m;
  m.store("alpha", 1);
  const std::string_view key = "alpha";
  EXPECT_EQ(m.load(key), 1);
  EXPECT_TRUE(m.contains(key));
  EXPECT_TRUE(m.visit(key, [](int v) { EXPECT_EQ(v, 1); }));
}

TEST(HeterogeneousLookup, CStringFindsAStringKey) {
  string_map m;
  m.store("alpha", 1);
  EXPECT_EQ(m.load("alpha"), 1);
  EXPECT_FALSE(m.contains("beta"));
}

TEST(HeterogeneousLookup, EraseByStringViewRemovesTheKey) {
  string_map m;
  m.store("alpha", 1);
  EXPECT_TRUE(m.erase(std::string_view("alpha")));
  EXPECT_FALSE(m.contains("alpha"));
}

TEST(HeterogeneousLookup, LoadAndDeleteByStringViewReturnsTheValue) {
  string_map m;
  m.store("alpha", 1);
  EXPECT_EQ(m.load_and_delete(std::string_view("alpha")), 1);
  EXPECT_EQ(m.load_and_delete(std::string_view("alpha")), std::nullopt);
}

TEST(HeterogeneousLookup, WorksForKeysOnlyInTheDirtyMap) {
  string_map m;
  m.store("a", 1);
  m.range([](const std::string&, int) {});  // promote "a"
  m.store("b", 2);                          // "b" only in dirty
  EXPECT_EQ(m.load(std::string_view("b")), 2);
  EXPECT_EQ(m.load_and_delete(std::string_view("b")), 2);
}

// A key type that counts how many times it is constructed.
struct tracked_key {
  static inline std::atomic<int> constructions{0};
  std::string s;
  explicit tracked_key(std::string v) : s(std::move(v)) { ++constructions; }
  tracked_key(const tracked_key& o) : s(o.s) { ++constructions; }
  tracked_key(tracked_key&& o) noexcept : s(std::move(o.s)) { ++constructions; }
};
struct tracked_hash {
  using is_transparent = void;
  std::size_t operator()(const tracked_key& k) const { return operator()(std::string_view{k.s}); }
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct tracked_equal {
  using is_transparent = void;
  bool operator()(const tracked_key& a, const tracked_key& b) const { return a.s == b.s; }
  bool operator()(const tracked_key& a, std::string_view b) const { return a.s == b; }
  bool operator()(std::string_view a, const tracked_key& b) const { return a == b.s; }
};

TEST(HeterogeneousLookup, ConstructsNoKeyObject) {
  syncmap::sync_map<tracked_key, int, tracked_hash, tracked_equal> m;
  m.store(tracked_key("k"), 1);
  const int before = tracked_key::constructions.load();
  const std::string_view key = "k";
  EXPECT_EQ(m.load(key), 1);
  EXPECT_TRUE(m.contains(key));
  EXPECT_TRUE(m.erase(key));
  EXPECT_EQ(m.load_and_delete(key), std::nullopt);
  EXPECT_EQ(tracked_key::constructions.load(), before);
}

TEST(StringHash, EqualCharactersHashEquallyWhateverTheStringType) {
  const syncmap::string_hash h;
  const std::string s = "some key";
  EXPECT_EQ(h(s), h(std::string_view(s)));
  EXPECT_EQ(h(s), h(s.c_str()));
}

}  // namespace
