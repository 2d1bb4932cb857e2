// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The state machine behind checked_map: Go's hashWriting flag, made into a
// try-reader-writer-lock that never waits.
//
// Per map, one atomic word:
//
//   bit 63       W: a checked write call is in progress
//   bits 32..62  the thread id of that writer (low 31 bits), valid while W
//   bits 0..31   R: the number of checked read calls in progress
//
// A checked write enters with CAS(0 -> W|tid): it succeeds only when nobody
// is reading or writing; if the CAS fails the word says who is there (W:
// another writer, "concurrent map writes"; R > 0: a reader, "concurrent map
// read and map write") and the writer reports before touching the container.
// A checked read enters with CAS(r -> r+1) unless W is set (then it reports,
// again before touching the container). Exits: the writer stores 0 (nobody
// else changes the word while W is set: every other entry only reads it and
// reports), a reader subtracts 1.
//
// Invariant: while a thread is inside a checked call that entered without a
// report, no other thread is inside a conflicting checked call past its
// entry. So if every call on a map is checked (mode `on`) and the handler
// does not return (it aborts or throws), the container itself is never
// accessed by two threads in a racy way, even in a program that misuses it:
// the misuse is reported, and nothing races. That is what lets the tests and
// the stress workloads that overlap calls on purpose run under TSan with no
// suppressions. Go's check (a flag test on entry, a flag test on exit) only
// catches a reader that arrives second; counting readers catches a writer
// that arrives second too.
//
// Memory orders. For a correct program (calls ordered by the user's own
// synchronization) any order would do: the user's mutex orders everything.
// The orders matter for a misusing program: entries are acquire and exits
// are release, so that a call that entered without a report happens after
// every call that left the word before it, exactly as with a lock. This
// keeps the container accesses of the calls the checker let through ordered,
// for TSan and for real. Failed CASes and peeks are relaxed: they only read
// the word to report, and a report is about a race that the checker cannot
// order anyway.
//
// Second word: `writes`, the write generation (low 32 bits) and the thread
// id of the latest checked writer (high 32 bits), updated by each checked
// write while it holds W (so by one thread at a time). Iterators remember it
// when created and compare on each use: a change made by another thread
// means the iterator outlived a concurrent write ("concurrent map iteration
// and map write"). Relaxed: the iterator's thread either synchronized with
// the write (then coherence shows it the new value) or it did not (then it
// is racing, and detection is best effort).
//
// Maps compiled `sampled` use the same word differently: W and the writer
// as above, and in the low bits a per-map countdown that every write
// decrements; one write in N marks the map, reads only test W. That
// protocol is in detail/sampled_check.hpp. Below, the runtime settings
// both share, and the per-thread sampling of a map compiled `on` that is
// switched to `sampled` at run time (its word counts readers, so it cannot
// hold a countdown).

#ifndef SYNCMAP_DETAIL_MISUSE_CHECK_HPP_
#define SYNCMAP_DETAIL_MISUSE_CHECK_HPP_

#include <atomic>
#include <cstdint>
#include <limits>

#include "syncmap/detail/config.hpp"
#include "syncmap/detail/misuse_report.hpp"

namespace syncmap {

// How much a checked_map checks. See <syncmap/checked_map.hpp>.
enum class check_mode : unsigned char {
  off = 0,      // nothing: the bare container
  sampled = 1,  // one write in N per map marks the map, the other calls peek
  on = 2,       // every call
};

namespace detail {

struct misuse_state {
  static constexpr std::uint64_t kWriting = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kReaders = 0xFFFFFFFFULL;

  static std::uint32_t writer_of(std::uint64_t word) noexcept {
    return static_cast<std::uint32_t>((word & ~kWriting) >> 32);
  }
  static std::uint64_t writing_word(std::uint32_t tid) noexcept {
    return kWriting | (std::uint64_t{tid & 0x7FFFFFFFU} << 32);
  }

  misuse_state() = default;
  explicit misuse_state(std::uint64_t initial_word) noexcept : word(initial_word) {}

  std::atomic<std::uint64_t> word{0};
  std::atomic<std::uint64_t> writes{0};
  // The latest checked reader to enter, for the writer's report only.
  std::atomic<std::uint32_t> last_reader{0};
  // Sampled maps only: the thread id of the sampled write in progress, 0
  // when none; tells a live mark from a stale one (detail/sampled_check.hpp).
  std::atomic<std::uint32_t> sampled_writer{0};
  // The map's name (static storage, set by the owner); relaxed: reports only.
  std::atomic<const char*> name{""};
  // The checked_map this state belongs to, for reports (set by its constructors).
  const void* owner = nullptr;
};

// Runtime override of the compile-time mode: 0 = none, else 1 + check_mode.
// Relaxed: a setting, not a synchronization; calls already running keep the
// mode they started with.
inline std::atomic<unsigned> g_mode_override{0};
// Sampled mode checks one write in this many per map (maps compiled
// `sampled`), or one call in this many per thread (maps compiled `on` and
// switched to `sampled`). Relaxed, as above.
inline std::atomic<std::uint32_t> g_sampling_period{64};
// A thread's countdown for maps compiled `on` running in runtime mode
// `sampled`: the calls it makes before its next fully checked one. Each
// call decrements it; the call that takes it to 0 or below starts the
// next period (next_sample_period(), out of line), which reads the runtime
// settings and sets it to >= 1, so a setting reaches a thread within one
// period.
//
// Invariant: >= 1 between calls, except in a thread that has made no such
// call yet (0: its first call takes it to -1 and starts a period, so the
// first call of every thread is fully checked).
// A plain integer, constant-initialized: every access is a direct
// thread-local access, with no initialization guard or TLS wrapper call.
inline thread_local std::int32_t t_sample_countdown = 0;
// This thread's id (see misuse_report::thread); 0 until first asked.
inline thread_local std::uint32_t t_thread_id = 0;

std::uint32_t assign_thread_id() noexcept;  // src/checked_map.cpp

inline std::uint32_t current_thread_id() noexcept {
  const std::uint32_t id = t_thread_id;
  return SYNCMAP_LIKELY(id != 0) ? id : assign_thread_id();
}

// How one call is checked.
enum class check_level : unsigned char { none, peek, full };

// The effective mode now: the runtime override, else the compiled one.
inline check_mode effective_mode(check_mode compiled) noexcept {
  const unsigned ov = g_mode_override.load(std::memory_order_relaxed);
  return ov == 0 ? compiled : static_cast<check_mode>(ov - 1);
}

// A sampling countdown's start in effective mode `m`: 1 in mode `on` (every
// call runs the check), else the sampling period; >= 1, and within int32_t.
// Both countdowns (the per-thread one below, a sampled map's per-map one)
// start from it.
inline std::int32_t countdown_start(check_mode m) noexcept {
  if (m == check_mode::on) return 1;
  const std::uint32_t p = g_sampling_period.load(std::memory_order_relaxed);
  constexpr auto kMax = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
  return static_cast<std::int32_t>(p == 0 ? 1 : (p < kMax ? p : kMax));
}

// A thread of a map compiled `on` and switched to `sampled` ran out of its
// countdown: start the next period and say how this call is checked (full,
// or none in runtime mode off).
SYNCMAP_NOINLINE inline check_level next_sample_period() noexcept {
  const check_mode m = effective_mode(check_mode::sampled);
  t_sample_countdown = countdown_start(m);
  return m == check_mode::off ? check_level::none : check_level::full;
}

// How a call of a map compiled Mode is checked, under the runtime override.
// Maps compiled `sampled` do not ask (detail/sampled_check.hpp).
template <check_mode Mode>
inline check_level level_for_call() noexcept {
  static_assert(Mode != check_mode::sampled, "maps compiled sampled check through sampled_check.hpp");
  if constexpr (Mode == check_mode::off) {
    return check_level::none;
  } else {
    // A compiled-on map follows the runtime override on every call.
    const check_mode m = effective_mode(Mode);
    if (SYNCMAP_LIKELY(m == check_mode::on)) return check_level::full;
    if (m == check_mode::off) return check_level::none;
    return SYNCMAP_LIKELY(--t_sample_countdown > 0) ? check_level::peek : next_sample_period();
  }
}

// Builds a report and hands it to the handler. Cold.
SYNCMAP_NOINLINE inline void raise(const misuse_state& st, misuse_kind kind, const char* op,
                                   std::uint64_t other, bool other_is_write) {
  misuse_report r;
  r.kind = kind;
  r.operation = op;
  r.map = st.owner;
  r.map_name = st.name.load(std::memory_order_relaxed);
  r.thread = current_thread_id();
  r.other_thread = other;
  r.other_is_write = other_is_write;
  report_misuse(r);
}

// The reports of the scopes below: free functions, so that a scope's
// address never escapes and its fields stay in registers.
SYNCMAP_NOINLINE inline void write_conflict(const misuse_state& st, std::uint64_t word, const char* op) {
  if ((word & misuse_state::kWriting) != 0) {
    raise(st, misuse_kind::concurrent_writes, op, misuse_state::writer_of(word), true);
  } else {
    raise(st, misuse_kind::read_and_write, op, st.last_reader.load(std::memory_order_relaxed), false);
  }
}
SYNCMAP_NOINLINE inline void read_conflict(const misuse_state& st, std::uint64_t word, const char* op) {
  raise(st, misuse_kind::read_and_write, op, misuse_state::writer_of(word), true);
}

// The peeks of a call that registers nothing: one relaxed load of the word
// (relaxed: it only decides whether to report, see above). A read reports a
// write in progress; a write, any call in progress.
SYNCMAP_ALWAYS_INLINE void peek_read(const misuse_state& st, const char* op) {
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  if (SYNCMAP_UNLIKELY((w & misuse_state::kWriting) != 0)) read_conflict(st, w, op);
}
SYNCMAP_ALWAYS_INLINE void peek_write(const misuse_state& st, const char* op) {
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  if (SYNCMAP_UNLIKELY(w != 0)) write_conflict(st, w, op);
}

// The full-check paths, out of line: the code a call inlines stays a few
// instructions (a bigger caller makes the compiler stop inlining the
// container's own code, which costs more than a call here).

// Marks `st` as written by this thread; returns its id (0: not marked,
// after reporting the conflict).
SYNCMAP_NOINLINE inline std::uint32_t enter_write(misuse_state& st, const char* op) {
  std::uint64_t expected = 0;
  const std::uint32_t tid = current_thread_id();
  // acquire: this write happens after the calls that left the word 0.
  if (SYNCMAP_LIKELY(st.word.compare_exchange_strong(expected, misuse_state::writing_word(tid),
                                                     std::memory_order_acquire, std::memory_order_relaxed))) {
    return tid;
  }
  write_conflict(st, expected, op);
  return 0;  // the handler returned: go on unmarked
}

SYNCMAP_NOINLINE inline void leave_write(misuse_state& st, std::uint32_t tid) noexcept {
  // The generation moves at exit, not entry: an iterator argument of this
  // call (erase(it)) is checked against the writes before it. Only the W
  // holder stores `writes`: a load and a store are enough.
  const std::uint64_t g = st.writes.load(std::memory_order_relaxed);
  st.writes.store((std::uint64_t{tid} << 32) | ((g + 1) & 0xFFFFFFFFULL), std::memory_order_relaxed);
  // release: the container writes of this call happen before any later
  // call that enters (acquire) after reading this 0.
  st.word.store(0, std::memory_order_release);
}

// Counts a reader in; false if it reported a write in progress instead.
SYNCMAP_NOINLINE inline bool enter_read(misuse_state& st, const char* op) {
  std::uint64_t w = st.word.load(std::memory_order_relaxed);
  for (;;) {
    if (SYNCMAP_UNLIKELY((w & misuse_state::kWriting) != 0)) {
      read_conflict(st, w, op);
      return false;  // the handler returned: go on unregistered
    }
    // acquire: this read happens after the writes that left the word.
    if (SYNCMAP_LIKELY(
            st.word.compare_exchange_weak(w, w + 1, std::memory_order_acquire, std::memory_order_relaxed))) {
      break;
    }
  }
  st.last_reader.store(current_thread_id(), std::memory_order_relaxed);
  return true;
}

SYNCMAP_NOINLINE inline void leave_read(misuse_state& st) noexcept {
  // release: this call's reads happen before a writer that enters after
  // reading the count this leaves (the fetch_sub heads a release sequence).
  st.word.fetch_sub(1, std::memory_order_release);
}

// A write call: mark on entry, unmark on exit (destructor, also when the
// container throws). leave() does the exit checks that may report; it is
// called on the normal path only, never from the destructor, so that a
// throwing handler never throws from a destructor.
class write_scope {
 public:
  write_scope(misuse_state& st, check_level lv, const char* op) : st_(st), lv_(lv) {
    if (lv == check_level::full) {
      tid_ = enter_write(st, op);
    } else if (lv == check_level::peek) {
      peek_write(st, op);
    }
  }
  ~write_scope() {
    if (tid_ != 0) leave_write(st_, tid_);
  }
  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;

  // The state iterators made by this call check against (null: unchecked).
  const misuse_state* tracking() const noexcept { return lv_ == check_level::full ? &st_ : nullptr; }

  void leave(const char* op) {
    // Go's exit check: someone entered while this unregistered write ran.
    if (lv_ == check_level::peek) peek_write(st_, op);
  }

 private:
  misuse_state& st_;
  check_level lv_;
  std::uint32_t tid_ = 0;  // non-zero: this call holds W
};

// A read call: count in on entry, out on exit.
class read_scope {
 public:
  read_scope(misuse_state& st, check_level lv, const char* op) : st_(st), lv_(lv) {
    if (lv == check_level::full) {
      registered_ = enter_read(st, op);
    } else if (lv == check_level::peek) {
      peek_read(st, op);
    }
  }
  ~read_scope() {
    if (registered_) leave_read(st_);
  }
  read_scope(const read_scope&) = delete;
  read_scope& operator=(const read_scope&) = delete;

  const misuse_state* tracking() const noexcept { return lv_ == check_level::full ? &st_ : nullptr; }

  // Reads have no exit check (as in Go): a write that starts during an
  // unregistered read is caught by the write's own exit peek or not at all.
  void leave(const char*) noexcept {}

 private:
  misuse_state& st_;
  check_level lv_;
  bool registered_ = false;
};

// The check an iterator runs before each use (Go's mapiternext check, plus
// the generation): reports a write in progress on another thread, or a
// write another thread completed since the iterator was made or last moved
// by its own thread. `snapshot` is the iterator's copy of st.writes; own
// writes (erase(it) while iterating) advance it.
SYNCMAP_NOINLINE inline void iteration_conflict(const misuse_state& st, std::uint64_t other, const char* op) {
  raise(st, misuse_kind::iteration_and_write, op, other, true);
}

inline void check_iteration(const misuse_state& st, std::uint64_t& snapshot, const char* op) {
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  const std::uint64_t g = st.writes.load(std::memory_order_relaxed);
  if (SYNCMAP_LIKELY((w & misuse_state::kWriting) == 0 && g == snapshot)) return;
  const std::uint32_t me = current_thread_id() & 0x7FFFFFFFU;
  if ((w & misuse_state::kWriting) != 0 && misuse_state::writer_of(w) != me) {
    iteration_conflict(st, misuse_state::writer_of(w), op);
    return;
  }
  if (g != snapshot) {
    const auto writer = static_cast<std::uint32_t>(g >> 32);
    if (writer != current_thread_id()) {
      iteration_conflict(st, writer, op);
      return;
    }
    snapshot = g;
  }
}

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_MISUSE_CHECK_HPP_
