// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// syncmap::checked_map: Go's "concurrent map writes" check for ordinary maps.
//
// Wraps an associative container (std::unordered_map, std::map, std::set,
// absl::flat_hash_map, ...) with the member functions you call on it, and
// reports calls from two threads that overlap without synchronization, the
// way Go's runtime reports `fatal error: concurrent map writes`:
//
//   #include <syncmap/checked_map.hpp>
//
//   // was: std::unordered_map<std::string, int> sessions;
//   syncmap::checked_map<std::unordered_map<std::string, int>> sessions;
//   sessions.set_name("sessions");          // optional, shows in reports
//   sessions["alice"] = 1;                  // same calls as before
//
// Changing the type is the whole migration. A misuse, e.g. two threads
// inserting at once, reaches the handler (set_misuse_handler(), default:
// print and abort, like Go):
//
//   syncmap: concurrent map writes (map "sessions" at 0x7ffd..., operation
//   insert on thread 4242, conflicting write on thread 4243)
//
// What is checked (detail/misuse_check.hpp has the state machine):
//   - Write calls (insert, emplace, try_emplace, insert_or_assign, erase,
//     clear, operator[], reserve, rehash, swap, assignment, ...) mark the map
//     as being written for their duration; read calls (find, count, contains,
//     at, size, begin, equal_range, ...) count themselves in. A call that
//     finds a conflicting call in progress reports, before it touches the
//     container. A write finding a read reports too (Go's check misses that
//     order).
//   - Iterators (in maps compiled `on`) are checked on every use (*, ->,
//     ++, --, ==): a write in progress on another thread, or completed by
//     another thread since the iterator was made, is reported ("concurrent map iteration and map
//     write"). Writes by the iterator's own thread are fine (erase(it) in a
//     loop). Deliberately strict: an iterator kept across another thread's
//     write is reported even if a mutex ordered them (for unordered
//     containers such an iterator may well be invalid). Destroying a stale
//     iterator is not reported: that is harmless.
//   - Not checked: accesses through references and pointers the map handed
//     out (the `= v` in `m[k] = v`, `it->second = v`, `at(k)++`); end()
//     (it touches no element; comparisons check the other iterator).
//
// Modes (check_mode), chosen at compile time and at run time:
//   off      checked_map<Map, check_mode::off> derives from Map and adds no
//            member: the bare container, zero cost (sizeof is Map's).
//   sampled  one write in N per map (set_checked_map_sampling_period,
//            default 64) marks the map for its duration; every write counts
//            itself down on the map's state word (an unlocked decrement,
//            which also finds a sampled write in progress), and reads peek
//            at the word on entry, as Go's reads do. For production.
//   on       every call runs the full check (an atomic read-modify-write on
//            entry, an atomic store or read-modify-write on exit). For tests
//            and CI.
// The compile-time mode is the second template argument, defaulting to
// SYNCMAP_CHECKED_MAP_MODE (0 off, 1 sampled, 2 on; default: 2 without
// NDEBUG, 1 with it). Define the macro identically in every translation
// unit (target_compile_definitions), as for NDEBUG. At run time,
// set_checked_map_mode() switches every map not compiled `off` to another
// mode; docs/checked_map.md lists measured costs.
//
// Limits (docs/checked_map.md): best effort, like Go's check. It catches calls
// that overlap in time, not every data race: two unsynchronized calls that
// happen not to overlap pass, where TSan would report them. In `sampled`
// mode an overlap is seen only when one of the two calls was sampled. It
// complements a TSan run, it does not replace it.
//
// Thread-safety of checked_map itself: exactly that of Map (concurrent const
// calls are fine; anything else needs your synchronization); the checking
// adds no locking and never blocks.

#ifndef SYNCMAP_CHECKED_MAP_HPP_
#define SYNCMAP_CHECKED_MAP_HPP_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "syncmap/detail/misuse_check.hpp"
#include "syncmap/detail/misuse_report.hpp"
#include "syncmap/detail/sampled_check.hpp"

#if !defined(SYNCMAP_CHECKED_MAP_MODE)
#if defined(NDEBUG)
#define SYNCMAP_CHECKED_MAP_MODE 1
#else
#define SYNCMAP_CHECKED_MAP_MODE 2
#endif
#endif

namespace syncmap {

// Switches every checked_map not compiled `off` to `mode`. Maps compiled
// `on` see it at each thread's next call (switched to `sampled`, they
// check one call in N per thread); maps compiled `sampled` when their
// countdown next runs out (within one sampling period of writes). For a
// sampled map this governs its writes (`on`: every write marks the map;
// `off`: none does); its writes count down and its reads peek in every
// mode (which finds nothing once no write marks the map). Calls in progress
// finish in their mode. Thread-safe (a relaxed setting, not a
// synchronization).
inline void set_checked_map_mode(check_mode mode) noexcept {
  detail::g_mode_override.store(1U + static_cast<unsigned>(mode), std::memory_order_relaxed);
}

// Undoes set_checked_map_mode(): each map uses its compile-time mode again.
inline void reset_checked_map_mode() noexcept { detail::g_mode_override.store(0, std::memory_order_relaxed); }

// In sampled mode, one write in `period` (>= 1; 0 is taken as 1) of each
// map marks it. Takes effect when each map's countdown next runs out.
inline void set_checked_map_sampling_period(std::uint32_t period) noexcept {
  detail::g_sampling_period.store(period == 0 ? 1 : period, std::memory_order_relaxed);
}

inline std::uint32_t checked_map_sampling_period() noexcept {
  return detail::g_sampling_period.load(std::memory_order_relaxed);
}

// A name for a checked_map's reports, for the naming constructor:
//   checked_map<std::map<int, int>> m(syncmap::map_name("routes"));
// The string must outlive the map (a string literal, typically).
struct map_name {
  explicit constexpr map_name(const char* n) noexcept : value(n) {}
  const char* value;
};

template <class Map, check_mode Mode = static_cast<check_mode>(SYNCMAP_CHECKED_MAP_MODE)>
class checked_map;

namespace detail {

struct checked_map_test_access;  // tests/checked_map_test.cpp: holds marks open

// Member types a Map may or may not have (mapped_type only for maps,
// hasher for hashed ones, key_compare for ordered ones, ...).
template <class M, class = void>
struct mapped_type_of {};
template <class M>
struct mapped_type_of<M, std::void_t<typename M::mapped_type>> {
  using mapped_type = typename M::mapped_type;
};
template <class M, class = void>
struct hasher_of {};
template <class M>
struct hasher_of<M, std::void_t<typename M::hasher, typename M::key_equal>> {
  using hasher = typename M::hasher;
  using key_equal = typename M::key_equal;
};
template <class M, class = void>
struct key_compare_of {};
template <class M>
struct key_compare_of<M, std::void_t<typename M::key_compare>> {
  using key_compare = typename M::key_compare;
};
template <class M, class = void>
struct node_type_of {};
template <class M>
struct node_type_of<M, std::void_t<typename M::node_type, typename M::insert_return_type>> {
  using node_type = typename M::node_type;
  using insert_return_type = typename M::insert_return_type;  // its `position` is Map's iterator
};
template <class M>
struct optional_member_types : mapped_type_of<M>, hasher_of<M>, key_compare_of<M>, node_type_of<M> {};

// What a tracked iterator remembers: the map's state (null: unchecked) and
// st_->writes when made, advanced past the iterator's own thread's writes.
template <bool Tracked>
struct iterator_tracking {
  const misuse_state* st_ = nullptr;
  mutable std::uint64_t snapshot_ = 0;
};
template <>
struct iterator_tracking<false> {};

// The iterator of a checked_map: Map's iterator plus, if the call that made
// it was fully checked, the map's state and the write generation it saw.
// Tracked = false (maps compiled `sampled`): no checks and no members but
// Map's iterator (the empty tracking base takes no space), so that the
// iterator compiles to Map's and has its size (checks on every iterator
// operation cost more than sampling saves on the calls).
template <class It, bool Tracked = true>
class checked_iterator : private iterator_tracking<Tracked> {
 public:
  using iterator_category = typename std::iterator_traits<It>::iterator_category;
  using value_type = typename std::iterator_traits<It>::value_type;
  using difference_type = typename std::iterator_traits<It>::difference_type;
  using pointer = typename std::iterator_traits<It>::pointer;
  using reference = typename std::iterator_traits<It>::reference;

  checked_iterator() = default;
  checked_iterator(It it, const misuse_state* st) : it_(it) {
    if constexpr (Tracked) {
      this->st_ = st;
      if (st != nullptr) this->snapshot_ = st->writes.load(std::memory_order_relaxed);
    } else {
      static_cast<void>(st);
    }
  }
  // iterator -> const_iterator (implicit, as Map's).
  template <
      class Other,
      std::enable_if_t<!std::is_same<Other, It>::value && std::is_convertible<Other, It>::value, int> = 0>
  // NOLINTNEXTLINE(google-explicit-constructor)
  checked_iterator(const checked_iterator<Other, Tracked>& o)
      : iterator_tracking<Tracked>(o.tracking()), it_(o.it_) {}

  reference operator*() const {
    check("iterator dereference");
    return *it_;
  }
  pointer operator->() const {
    check("iterator dereference");
    return it_.operator->();
  }
  checked_iterator& operator++() {
    check("iterator increment");
    ++it_;
    return *this;
  }
  checked_iterator operator++(int) {
    checked_iterator old = *this;
    ++*this;
    return old;
  }
  checked_iterator& operator--() {
    check("iterator decrement");
    --it_;
    return *this;
  }
  checked_iterator operator--(int) {
    checked_iterator old = *this;
    --*this;
    return old;
  }

  // Map's iterator, after the check (what the wrapper passes to Map).
  It base() const {
    check("iterator use");
    return it_;
  }
  // Map's iterator, unchecked.
  const It& unchecked_base() const noexcept { return it_; }

  // The use check every operator runs first (no-op for an unchecked iterator).
  void check(const char* op) const {
    if constexpr (Tracked) {
      if (SYNCMAP_UNLIKELY(this->st_ != nullptr)) check_iteration(*this->st_, this->snapshot_, op);
    } else {
      static_cast<void>(op);
    }
  }

 private:
  template <class, bool>
  friend class checked_iterator;

  const iterator_tracking<Tracked>& tracking() const noexcept { return *this; }

  It it_{};
};

template <class A, bool TA, class B, bool TB>
auto operator==(const checked_iterator<A, TA>& a, const checked_iterator<B, TB>& b)
    -> decltype(a.unchecked_base() == b.unchecked_base()) {
  a.check("iterator comparison");
  b.check("iterator comparison");
  return a.unchecked_base() == b.unchecked_base();
}
template <class A, bool TA, class B, bool TB>
auto operator!=(const checked_iterator<A, TA>& a, const checked_iterator<B, TB>& b) -> decltype(!(a == b)) {
  return !(a == b);
}

template <class T>
struct is_checked_iterator : std::false_type {};
template <class It, bool Tracked>
struct is_checked_iterator<checked_iterator<It, Tracked>> : std::true_type {};

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

}  // namespace detail

// `off`: the bare container. No state, no checks; every member is Map's.
template <class Map>
class checked_map<Map, check_mode::off> : public Map {
 public:
  using Map::Map;
  checked_map() = default;
  checked_map(const Map& m) : Map(m) {}        // NOLINT(google-explicit-constructor)
  checked_map(Map&& m) : Map(std::move(m)) {}  // NOLINT(google-explicit-constructor)
  template <class... Args>
  explicit checked_map(map_name, Args&&... args) : Map(std::forward<Args>(args)...) {}

  // As in the checking modes, for every Map (C++20's contains).
  template <class K>
  bool contains(const K& key) const {
    return this->find(key) != this->end();
  }

  static constexpr check_mode compiled_mode = check_mode::off;
  void set_name(const char*) noexcept {}
  const char* name() const noexcept { return ""; }
  Map& unchecked() noexcept { return *this; }
  const Map& unchecked() const noexcept { return *this; }
};

// `sampled` and `on`: Map plus the check state (40 bytes on LP64).
template <class Map, check_mode Mode>
class checked_map : public detail::optional_member_types<Map> {
  static_assert(Mode == check_mode::sampled || Mode == check_mode::on, "check_mode out of range");

 public:
  using base_type = Map;
  using key_type = typename Map::key_type;
  using value_type = typename Map::value_type;
  using size_type = typename Map::size_type;
  using difference_type = typename Map::difference_type;
  using allocator_type = typename Map::allocator_type;
  using reference = typename Map::reference;
  using const_reference = typename Map::const_reference;
  using pointer = typename Map::pointer;
  using const_pointer = typename Map::const_pointer;
  // Iterators are checked in maps compiled `on` (see checked_iterator).
  using iterator = detail::checked_iterator<typename Map::iterator, Mode == check_mode::on>;
  using const_iterator = detail::checked_iterator<typename Map::const_iterator, Mode == check_mode::on>;

  static constexpr check_mode compiled_mode = Mode;

  // Constructs Map from the arguments (any of Map's constructors).
  checked_map() { state_.owner = this; }
  template <class A, class... Args,
            std::enable_if_t<!std::is_same<std::decay_t<A>, checked_map>::value &&
                                 !std::is_same<std::decay_t<A>, map_name>::value &&
                                 std::is_constructible<Map, A&&, Args&&...>::value,
                             int> = 0>
  explicit checked_map(A&& a, Args&&... args) : map_(std::forward<A>(a), std::forward<Args>(args)...) {
    state_.owner = this;
  }
  checked_map(std::initializer_list<value_type> init) : map_(init) { state_.owner = this; }
  // A named map: checked_map m(map_name("sessions"), Map's constructor arguments...).
  template <class... Args>
  explicit checked_map(map_name name, Args&&... args) : map_(std::forward<Args>(args)...) {
    state_.owner = this;
    state_.name.store(name.value, std::memory_order_relaxed);
  }
  // From a Map (implicit, so that `checked_map m = make_map();` compiles).
  checked_map(const Map& m) : map_(m) { state_.owner = this; }        // NOLINT(google-explicit-constructor)
  checked_map(Map&& m) : map_(std::move(m)) { state_.owner = this; }  // NOLINT(google-explicit-constructor)

  // Copy: a read of `other`; the copy has other's name and fresh state.
  checked_map(const checked_map& other)
      : map_(other.read_call("copy", [&](auto) SYNCMAP_INLINE_LAMBDA { return Map(other.map_); })) {
    state_.owner = this;
    state_.name.store(other.name(), std::memory_order_relaxed);
  }
  // Move: a write of `other`. Not noexcept: a misuse report may throw.
  checked_map(checked_map&& other)  // NOLINT(performance-noexcept-move-constructor)
      : map_(other.write_call("move",
                              [&](auto) SYNCMAP_INLINE_LAMBDA { return Map(std::move(other.map_)); })) {
    state_.owner = this;
    state_.name.store(other.name(), std::memory_order_relaxed);
  }
  // Assignment: a write of this map (and a read, or for a move a write, of `other`).
  checked_map& operator=(const checked_map& other) {
    if (this != &other) {
      write_call("assignment", [&](auto) SYNCMAP_INLINE_LAMBDA {
        other.read_call("copy", [&](auto) SYNCMAP_INLINE_LAMBDA { map_ = other.map_; });
      });
    }
    return *this;
  }
  checked_map& operator=(checked_map&& other) {  // NOLINT(performance-noexcept-move-constructor)
    if (this != &other) {
      write_call("assignment", [&](auto) SYNCMAP_INLINE_LAMBDA {
        other.write_call("move", [&](auto) SYNCMAP_INLINE_LAMBDA { map_ = std::move(other.map_); });
      });
    }
    return *this;
  }
  checked_map& operator=(std::initializer_list<value_type> init) {
    write_call("assignment", [&](auto) SYNCMAP_INLINE_LAMBDA { map_ = init; });
    return *this;
  }
  // Like any C++ object: no other call may run during destruction (not checked).
  ~checked_map() = default;

  // Names the map in reports. `name` must outlive the map (a string literal).
  void set_name(const char* name) noexcept { state_.name.store(name, std::memory_order_relaxed); }
  const char* name() const noexcept { return state_.name.load(std::memory_order_relaxed); }

  // The wrapped container, unchecked: the escape hatch for what checked_map
  // does not forward. Calls through it are invisible to the check.
  Map& unchecked() noexcept { return map_; }
  const Map& unchecked() const noexcept { return map_; }

  // ---- Iteration (read calls; the iterators are checked on each use) ----

  iterator begin() {
    return read_call("begin", [&](const detail::misuse_state* t)
                                  SYNCMAP_INLINE_LAMBDA { return iterator(map_.begin(), t); });
  }
  const_iterator begin() const {
    return read_call("begin", [&](const detail::misuse_state* t)
                                  SYNCMAP_INLINE_LAMBDA { return const_iterator(map_.begin(), t); });
  }
  const_iterator cbegin() const { return begin(); }
  // end() touches no element and is not checked (comparisons check the other side).
  iterator end() noexcept { return iterator(map_.end(), nullptr); }
  const_iterator end() const noexcept { return const_iterator(map_.end(), nullptr); }
  const_iterator cend() const noexcept { return end(); }

  // ---- Capacity and observers (read calls) ----

  bool empty() const {
    return read_call("empty", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.empty(); });
  }
  size_type size() const {
    return read_call("size", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.size(); });
  }
  size_type max_size() const noexcept { return map_.max_size(); }
  allocator_type get_allocator() const { return map_.get_allocator(); }
  template <class M = Map>
  auto hash_function() const -> decltype(std::declval<const M&>().hash_function()) {
    return map_.hash_function();
  }
  template <class M = Map>
  auto key_eq() const -> decltype(std::declval<const M&>().key_eq()) {
    return map_.key_eq();
  }
  template <class M = Map>
  auto key_comp() const -> decltype(std::declval<const M&>().key_comp()) {
    return map_.key_comp();
  }
  template <class M = Map>
  auto bucket_count() const -> decltype(std::declval<const M&>().bucket_count()) {
    return read_call("bucket_count", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.bucket_count(); });
  }
  template <class M = Map>
  auto load_factor() const -> decltype(std::declval<const M&>().load_factor()) {
    return read_call("load_factor", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.load_factor(); });
  }
  template <class M = Map>
  auto max_load_factor() const -> decltype(std::declval<const M&>().max_load_factor()) {
    return read_call("max_load_factor", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.max_load_factor(); });
  }
  template <class M = Map>
  auto capacity() const -> decltype(std::declval<const M&>().capacity()) {
    return read_call("capacity", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.capacity(); });
  }

  // ---- Lookup (read calls) ----

  SYNCMAP_ALWAYS_INLINE iterator find(const key_type& key) {
    return read_call("find", [&](const detail::misuse_state* t)
                                 SYNCMAP_INLINE_LAMBDA { return iterator(map_.find(key), t); });
  }
  SYNCMAP_ALWAYS_INLINE const_iterator find(const key_type& key) const {
    return read_call("find", [&](const detail::misuse_state* t)
                                 SYNCMAP_INLINE_LAMBDA { return const_iterator(map_.find(key), t); });
  }
  template <class K, std::enable_if_t<!std::is_convertible<const K&, const key_type&>::value, int> = 0>
  SYNCMAP_ALWAYS_INLINE iterator find(const K& key) {
    return read_call("find", [&](const detail::misuse_state* t)
                                 SYNCMAP_INLINE_LAMBDA { return iterator(map_.find(key), t); });
  }
  template <class K, std::enable_if_t<!std::is_convertible<const K&, const key_type&>::value, int> = 0>
  SYNCMAP_ALWAYS_INLINE const_iterator find(const K& key) const {
    return read_call("find", [&](const detail::misuse_state* t)
                                 SYNCMAP_INLINE_LAMBDA { return const_iterator(map_.find(key), t); });
  }
  template <class K>
  SYNCMAP_ALWAYS_INLINE size_type count(const K& key) const {
    return read_call("count",
                     [&](auto) SYNCMAP_INLINE_LAMBDA { return static_cast<size_type>(map_.count(key)); });
  }
  SYNCMAP_ALWAYS_INLINE size_type count(const key_type& key) const {
    return read_call("count",
                     [&](auto) SYNCMAP_INLINE_LAMBDA { return static_cast<size_type>(map_.count(key)); });
  }
  // Whether `key` is present (C++20's contains, for every Map).
  template <class K>
  SYNCMAP_ALWAYS_INLINE bool contains(const K& key) const {
    return read_call("contains", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.find(key) != map_.end(); });
  }
  SYNCMAP_ALWAYS_INLINE bool contains(const key_type& key) const {
    return read_call("contains", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.find(key) != map_.end(); });
  }
  // at(): a read call; what you do with the reference afterwards is not checked.
  template <class K>
  SYNCMAP_ALWAYS_INLINE decltype(auto) at(const K& key) {
    return read_call("at", [&](auto) SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return map_.at(key); });
  }
  template <class K>
  SYNCMAP_ALWAYS_INLINE decltype(auto) at(const K& key) const {
    return read_call("at", [&](auto) SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return map_.at(key); });
  }
  template <class K>
  auto equal_range(const K& key) {
    return read_call("equal_range", [&](const detail::misuse_state* t) SYNCMAP_INLINE_LAMBDA {
      auto r = map_.equal_range(key);
      return std::make_pair(iterator(r.first, t), iterator(r.second, t));
    });
  }
  template <class K>
  auto equal_range(const K& key) const {
    return read_call("equal_range", [&](const detail::misuse_state* t) SYNCMAP_INLINE_LAMBDA {
      auto r = map_.equal_range(key);
      return std::make_pair(const_iterator(r.first, t), const_iterator(r.second, t));
    });
  }
  template <class K>
  iterator lower_bound(const K& key) {
    return read_call("lower_bound", [&](const detail::misuse_state* t)
                                        SYNCMAP_INLINE_LAMBDA { return iterator(map_.lower_bound(key), t); });
  }
  template <class K>
  const_iterator lower_bound(const K& key) const {
    return read_call("lower_bound", [&](const detail::misuse_state* t) SYNCMAP_INLINE_LAMBDA {
      return const_iterator(map_.lower_bound(key), t);
    });
  }
  template <class K>
  iterator upper_bound(const K& key) {
    return read_call("upper_bound", [&](const detail::misuse_state* t)
                                        SYNCMAP_INLINE_LAMBDA { return iterator(map_.upper_bound(key), t); });
  }
  template <class K>
  const_iterator upper_bound(const K& key) const {
    return read_call("upper_bound", [&](const detail::misuse_state* t) SYNCMAP_INLINE_LAMBDA {
      return const_iterator(map_.upper_bound(key), t);
    });
  }

  // ---- Modifiers (write calls). Each forwards to Map's member of the same
  // name; checked_map iterators among the arguments are unwrapped (and
  // checked), iterators in the result are wrapped. ----

  // operator[] may insert: a write call, as the standard counts it.
  template <class K>
  SYNCMAP_ALWAYS_INLINE decltype(auto) operator[](K&& key) {
    return write_call("operator[]", [&](auto) SYNCMAP_INLINE_LAMBDA -> decltype(auto) {
      return map_[std::forward<K>(key)];
    });
  }
  SYNCMAP_ALWAYS_INLINE decltype(auto) operator[](const key_type& key) {
    return write_call("operator[]", [&](auto) SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return map_[key]; });
  }
  SYNCMAP_ALWAYS_INLINE decltype(auto) operator[](key_type&& key) {
    return write_call("operator[]",
                      [&](auto) SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return map_[std::move(key)]; });
  }

  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert(Args&&... args) {
    return forward_write(
        "insert",
        [](Map& m, auto&&... a) SYNCMAP_INLINE_LAMBDA { return m.insert(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  // The braced forms: insert({k, v}), insert(hint, {k, v}), insert({{k, v}, ...}).
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert(const value_type& v) { return insert<const value_type&>(v); }
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert(value_type&& v) { return insert<value_type>(std::move(v)); }
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert(const_iterator hint, const value_type& v) {
    return insert<const_iterator, const value_type&>(std::move(hint), v);
  }
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert(const_iterator hint, value_type&& v) {
    return insert<const_iterator, value_type>(std::move(hint), std::move(v));
  }
  SYNCMAP_ALWAYS_INLINE void insert(std::initializer_list<value_type> init) {
    insert<std::initializer_list<value_type>>(std::move(init));
  }

  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) emplace(Args&&... args) {
    return forward_write(
        "emplace",
        [](Map& m, auto&&... a) SYNCMAP_INLINE_LAMBDA { return m.emplace(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) emplace_hint(Args&&... args) {
    return forward_write(
        "emplace_hint",
        [](Map& m, auto&&... a)
            SYNCMAP_INLINE_LAMBDA { return m.emplace_hint(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) try_emplace(Args&&... args) {
    return forward_write(
        "try_emplace",
        [](Map& m, auto&&... a)
            SYNCMAP_INLINE_LAMBDA { return m.try_emplace(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) insert_or_assign(Args&&... args) {
    return forward_write(
        "insert_or_assign",
        [](Map& m, auto&&... a)
            SYNCMAP_INLINE_LAMBDA { return m.insert_or_assign(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  // erase(key), erase(iterator), erase(first, last).
  template <class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) erase(Args&&... args) {
    return forward_write(
        "erase",
        [](Map& m, auto&&... a) SYNCMAP_INLINE_LAMBDA { return m.erase(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  // erase(key) with a braced key, and erase(iterator) (which Map may overload
  // for iterator and const_iterator).
  SYNCMAP_ALWAYS_INLINE decltype(auto) erase(const key_type& key) { return erase<const key_type&>(key); }
  template <class... Args>
  decltype(auto) extract(Args&&... args) {
    return forward_write(
        "extract",
        [](Map& m, auto&&... a) SYNCMAP_INLINE_LAMBDA { return m.extract(std::forward<decltype(a)>(a)...); },
        std::forward<Args>(args)...);
  }
  template <class Source>
  void merge(Source&& source) {
    write_call("merge", [&](auto) SYNCMAP_INLINE_LAMBDA { map_.merge(unwrap_map(source)); });
  }
  void clear() {
    write_call("clear", [&](auto) SYNCMAP_INLINE_LAMBDA { map_.clear(); });
  }
  template <class M = Map>
  auto reserve(size_type n) -> decltype(std::declval<M&>().reserve(n)) {
    return write_call("reserve", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.reserve(n); });
  }
  template <class M = Map>
  auto rehash(size_type n) -> decltype(std::declval<M&>().rehash(n)) {
    return write_call("rehash", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.rehash(n); });
  }
  template <class M = Map>
  auto max_load_factor(float f) -> decltype(std::declval<M&>().max_load_factor(f)) {
    return write_call("max_load_factor", [&](auto) SYNCMAP_INLINE_LAMBDA { return map_.max_load_factor(f); });
  }
  // A write call on both maps.
  void swap(checked_map& other) {
    if (this == &other) return;
    write_call("swap", [&](auto) SYNCMAP_INLINE_LAMBDA {
      other.write_call("swap", [&](auto) SYNCMAP_INLINE_LAMBDA { map_.swap(other.map_); });
    });
  }
  friend void swap(checked_map& a, checked_map& b) { a.swap(b); }

  // A read call on both maps.
  friend bool operator==(const checked_map& a, const checked_map& b) {
    return a.read_call("operator==", [&](auto) SYNCMAP_INLINE_LAMBDA {
      return b.read_call("operator==", [&](auto) SYNCMAP_INLINE_LAMBDA { return a.map_ == b.map_; });
    });
  }
  friend bool operator!=(const checked_map& a, const checked_map& b) { return !(a == b); }

 private:
  friend struct detail::checked_map_test_access;

  // What f returns (f takes the tracking state: null, or the map's state
  // for the iterators it makes to check against).
  static constexpr const detail::misuse_state* kUntracked = nullptr;
  template <class F>
  using result_of_call = decltype(std::declval<F&>()(kUntracked));

  // Runs f(tracking) checked at level `lv`: inside a read or write scope,
  // the entry check before f touches the container, the exit check
  // (peeks) after it, the unmark in the scope's destructor (also when f
  // throws).
  template <class Scope, class F>
  static result_of_call<F> run_at(detail::misuse_state& st, detail::check_level lv, const char* op, F& f) {
    Scope s(st, lv, op);
    return then([&]() SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return f(s.tracking()); },
                [&]() SYNCMAP_INLINE_LAMBDA { s.leave(op); });
  }
  // Runs f(tracking) checked as this map's mode says.
  //
  // Maps compiled `sampled` (detail/sampled_check.hpp): a read is the entry
  // peek (a load of the state word, a test and a branch: Go's read check)
  // and f; it never registers, so a write that starts while a read is in
  // progress is not seen (nor is it in Go); a read that starts during a
  // sampled write is. A write is the countdown's decrement of the state
  // word and a branch (on x86-64 one `subq $1, mem` and a `jle`), then f.
  // The branch is taken by the sampled write (one in N per map) and by a
  // write that finds a sampled write in progress; begin_sampled_write()
  // (out of line) tells them apart. The sampled one runs f in a block of
  // its own (marked, released after f or when f throws, a lost mark
  // reported), the others join the inline path. So f's container code is
  // inlined twice, once in that cold block; the hot path has no exit test
  // and carries nothing through f, and the container's code inlines as into
  // a bare caller. (Both alternatives were measured on erase from a 2^20-key
  // absl::flat_hash_map, docs/checked_map.md: calling f out of line from
  // the cold block makes the hot path store f's captures, since their
  // address escapes, +4 points; carrying the mark's id through f to an exit
  // test, +4 points.) Iterators of sampled maps are unchecked: f gets no
  // tracking.
  template <class Scope, class F>
  SYNCMAP_ALWAYS_INLINE static result_of_call<F> run(detail::misuse_state& st, const char* op, F& f) {
    if constexpr (Mode == check_mode::sampled && std::is_same<Scope, detail::read_scope>::value) {
      detail::peek_sampled_read(st, op);
      return f(kUntracked);
    } else if constexpr (Mode == check_mode::sampled) {
      if (detail::count_write_down(st)) {
        const std::uint32_t tid = detail::begin_sampled_write(st, op);
        if (tid != 0) {
          return then(
              [&]() SYNCMAP_INLINE_LAMBDA -> decltype(auto) { return call_releasing_on_unwind(st, tid, f); },
              [&]() SYNCMAP_INLINE_LAMBDA { detail::end_sampled_write(st, tid, op); });
        }
      }
      return f(kUntracked);
    } else {
      return run_at<Scope>(st, detail::level_for_call<Mode>(), op, f);
    }
  }
  // Returns call()'s result (a reference as a reference), after running
  // after() -- on the normal path only: when call() throws, after() does
  // not run.
  template <class Call, class After>
  SYNCMAP_ALWAYS_INLINE static decltype(auto) then(Call&& call, After&& after) {
    using R = decltype(call());
    if constexpr (std::is_void<R>::value) {
      call();
      after();
    } else if constexpr (std::is_reference<R>::value) {
      R r = call();
      after();
      return static_cast<R>(r);
    } else {
      R r = call();
      after();
      return r;
    }
  }
  // f(untracked) for a sampled write holding the mark `tid`: if it throws,
  // the mark is released before the exception leaves.
  template <class F>
  SYNCMAP_ALWAYS_INLINE static result_of_call<F> call_releasing_on_unwind(detail::misuse_state& st,
                                                                          std::uint32_t tid, F& f) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    try {
      return f(kUntracked);
    } catch (...) {
      detail::abandon_sampled_write(st, tid);
      throw;
    }
#else
    static_cast<void>(st);
    static_cast<void>(tid);
    return f(kUntracked);
#endif
  }
  template <class F>
  SYNCMAP_ALWAYS_INLINE decltype(auto) read_call(const char* op, F&& f) const {
    return run<detail::read_scope>(state_, op, f);
  }
  template <class F>
  SYNCMAP_ALWAYS_INLINE decltype(auto) write_call(const char* op, F&& f) {
    return run<detail::write_scope>(state_, op, f);
  }

  // Our iterators become Map's (checked first); anything else passes as is.
  template <class A>
  SYNCMAP_ALWAYS_INLINE static decltype(auto) unwrap(A&& a) {
    if constexpr (detail::is_checked_iterator<std::decay_t<A>>::value) {
      return a.base();
    } else {
      return std::forward<A>(a);
    }
  }
  template <class S>
  static decltype(auto) unwrap_map(S& s) {
    if constexpr (std::is_same<std::decay_t<S>, checked_map>::value) {
      return (s.map_);
    } else {
      return (s);
    }
  }
  // Map's iterators in a result become ours.
  template <class R>
  SYNCMAP_ALWAYS_INLINE static auto wrap(R&& r, const detail::misuse_state* t) {
    using D = std::decay_t<R>;
    if constexpr (std::is_same<D, typename Map::iterator>::value) {
      return iterator(std::forward<R>(r), t);
    } else if constexpr (std::is_same<D, typename Map::const_iterator>::value) {
      return const_iterator(std::forward<R>(r), t);
    } else if constexpr (detail::is_pair<D>::value) {
      auto first = wrap(std::forward<R>(r).first, t);
      auto second = wrap(std::forward<R>(r).second, t);
      return std::make_pair(std::move(first), std::move(second));
    } else {
      return static_cast<D>(std::forward<R>(r));
    }
  }
  template <class Op, class... Args>
  SYNCMAP_ALWAYS_INLINE decltype(auto) forward_write(const char* name, Op op, Args&&... args) {
    return write_call(name, [&](const detail::misuse_state* t) SYNCMAP_INLINE_LAMBDA {
      if constexpr (std::is_void<decltype(op(map_, unwrap(std::forward<Args>(args))...))>::value) {
        op(map_, unwrap(std::forward<Args>(args))...);
      } else {
        return wrap(op(map_, unwrap(std::forward<Args>(args))...), t);
      }
    });
  }

  // First: the state's cache line is the one every call touches. A sampled
  // map's word starts as a countdown about to run out: its first write is
  // sampled.
  mutable detail::misuse_state state_{Mode == check_mode::sampled ? detail::sampled_word::kFresh : 0};
  Map map_;
};

}  // namespace syncmap

#endif  // SYNCMAP_CHECKED_MAP_HPP_
