// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The check of a map compiled `sampled`: one write in N per map marks the
// map for its duration; every other write counts itself down on the map's
// state word and reads peek at it.
//
// The state word of a sampled map (misuse_state::word):
//
//   bit 63       W: a sampled write is in progress
//   bits 32..62  while W, that writer's thread id (low 31 bits)
//   bits 0..31   while W, all ones (kMarkLow); otherwise the countdown:
//                the write that finds it at 1 (or 0) is the next sampled one
//
// A write decrements the whole word by one: a relaxed load and a relaxed
// store, not an atomic read-modify-write (in a correct program the writes
// are ordered by the user's lock and nothing is lost; in a racing one a
// lost decrement only moves the sampling). On x86-64 the two are one
// `subq $1, mem` whose flags the branch tests: the whole per-write cost of
// the check is that instruction and a branch. The branch goes out of line
// when the word was <= 1 as a signed number: either the countdown ran out
// (this write is the sampled one: it marks the map, runs, restores the
// countdown) or W was set (a sampled write is in progress on another
// thread: "concurrent map writes"). The marked word's low bits are all ones
// so that the decrements of writes that come in during it leave the
// writer's id intact for their reports.
//
// Reads test W on entry (a relaxed load; Go's read check) and never write.
//
// Why a per-map countdown in the word: the previous design (a thread-local
// countdown, a peek on entry and another on exit) cost three loads, a
// thread-local read-modify-write and three branches per write, up to +14%
// on an erase against the bare container (docs/checked_map.md); this costs
// one instruction and a branch. What it gives up: a write is caught only
// when it starts during a sampled write (the earlier design also caught one
// that ended during it). Go's check has the same shape.
//
// A mark can be lost or brought back by the unlocked decrement, in a racing
// program only:
//  - Lost: a write loads the countdown, a sampled write marks the map, the
//    first write stores its decrement over the mark. The sampled write finds
//    its mark gone at exit and reports.
//  - Brought back: a write loads the mark, the sampled write ends and
//    restores the countdown, the first write stores (mark - 1) over it. The
//    word then says W with nobody writing. `sampled_writer` tells: a sampled
//    write sets it to its id before marking and clears it after restoring,
//    so a call that finds W and a different (or no) sampled_writer knows the
//    mark is stale; it restores the countdown and does not report (the write
//    that brought it back found W and reported the real overlap). If a call
//    takes a live mark for stale (it read an old sampled_writer), it clears
//    the mark, and the sampled write reports at its exit: the overlap is
//    still reported, once.
// In a correct program neither happens: every write is ordered with every
// other by the user's synchronization, and no call ever finds W.

#ifndef SYNCMAP_DETAIL_SAMPLED_CHECK_HPP_
#define SYNCMAP_DETAIL_SAMPLED_CHECK_HPP_

#include <atomic>
#include <cstdint>

#include "syncmap/detail/config.hpp"
#include "syncmap/detail/misuse_check.hpp"

namespace syncmap {
namespace detail {

struct sampled_word {
  static constexpr std::uint64_t kMarkLow = 0xFFFFFFFFULL;
  static constexpr std::uint64_t kHigh = ~kMarkLow;
  // A fresh map's word: its first write is sampled.
  static constexpr std::uint64_t kFresh = 1;

  static std::uint64_t mark(std::uint32_t tid) noexcept { return misuse_state::writing_word(tid) | kMarkLow; }
  // The countdown a sampled write leaves: the writes until the next sampled
  // one (the mode, if overridden at run time to `on`, makes that every one).
  static std::uint64_t countdown() noexcept {
    return static_cast<std::uint64_t>(countdown_start(effective_mode(check_mode::sampled)));
  }
};

// Counts one write down; true if it must go out of line (the word was <= 1
// as a signed number: the countdown ran out, or W is set). Relaxed load and
// store (see above): the word only decides when to sample and whether to
// report.
SYNCMAP_ALWAYS_INLINE bool count_write_down(misuse_state& st) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !SYNCMAP_TSAN
  // The same load and store as below, in one instruction. The operand is
  // the atomic object, a lock-free std::uint64_t in memory (same size and
  // alignment): an aligned 8-byte load and store are each atomic on
  // x86-64, as the relaxed operations below are. TSan builds take the
  // portable path, so the race gate sees these accesses as atomics.
  static_assert(sizeof(st.word) == sizeof(std::uint64_t), "the state word is a plain 64-bit integer");
  bool out_of_line;
  asm("subq $1, %0" : "+m"(st.word), "=@ccle"(out_of_line));
  return SYNCMAP_UNLIKELY(out_of_line);
#else
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  st.word.store(w - 1, std::memory_order_relaxed);
  return SYNCMAP_UNLIKELY(static_cast<std::int64_t>(w) <= 1);
#endif
}

// Reports an overlap seen by a sampled map's write.
SYNCMAP_NOINLINE inline void sampled_write_conflict(const misuse_state& st, std::uint64_t word,
                                                    const char* op) {
  raise(st, misuse_kind::concurrent_writes, op,
        (word & misuse_state::kWriting) != 0 ? misuse_state::writer_of(word) : 0, true);
}

// A call found W set. Returns true if the mark is live (the caller
// reports); false if it is stale, after restoring the countdown (see
// above). A mark gone since it was found was live then (or a stale one
// another call just cleared: rarer still): true. acquire: pairs with the
// marking CAS (acq_rel), so a call that reads the mark sees the
// sampled_writer stored before it.
inline bool live_mark(misuse_state& st) noexcept {
  std::uint64_t w = st.word.load(std::memory_order_acquire);
  if ((w & misuse_state::kWriting) == 0) return true;
  if (st.sampled_writer.load(std::memory_order_relaxed) == misuse_state::writer_of(w)) return true;
  st.word.compare_exchange_strong(w, sampled_word::countdown(), std::memory_order_relaxed,
                                  std::memory_order_relaxed);
  return false;
}

// The write whose count_write_down() went out of line. Marks the map and
// returns this thread's id if this write is the sampled one; returns 0 if it
// runs unmarked: runtime mode off (it restarts the countdown), or a sampled
// write in progress (it reports; if the handler returns, the call goes on).
SYNCMAP_NOINLINE inline std::uint32_t begin_sampled_write(misuse_state& st, const char* op) {
  std::uint64_t w = st.word.load(std::memory_order_relaxed);
  if ((w & misuse_state::kWriting) != 0) {
    if (live_mark(st)) sampled_write_conflict(st, w, op);
    return 0;
  }
  if (effective_mode(check_mode::sampled) == check_mode::off) {
    st.word.store(sampled_word::countdown(), std::memory_order_relaxed);
    return 0;
  }
  const std::uint32_t tid = current_thread_id();
  st.sampled_writer.store(tid, std::memory_order_relaxed);
  // acq_rel: release, a call that reads the mark sees sampled_writer with
  // it (live_mark); acquire, pairs with the previous sampled write's
  // release when no write counted down in between (a plain store ends the
  // release sequence). Sampled mode does not order the calls it lets
  // through, as mode `on` does: it only looks for overlaps.
  if (SYNCMAP_LIKELY(st.word.compare_exchange_strong(w, sampled_word::mark(tid), std::memory_order_acq_rel,
                                                     std::memory_order_relaxed))) {
    return tid;
  }
  // Another write changed the word between the decrement and here. Takes
  // back sampled_writer unless a write that marked meanwhile stored its own.
  std::uint32_t mine = tid;
  st.sampled_writer.compare_exchange_strong(mine, 0, std::memory_order_relaxed, std::memory_order_relaxed);
  sampled_write_conflict(st, w, op);
  return 0;
}

// Ends the sampled write that marked the map as `tid`: restores the
// countdown; returns the word as the write left it.
inline std::uint64_t release_sampled_write(misuse_state& st, std::uint32_t tid) noexcept {
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  // release: see begin_sampled_write().
  st.word.store(sampled_word::countdown(), std::memory_order_release);
  std::uint32_t mine = tid;
  st.sampled_writer.compare_exchange_strong(mine, 0, std::memory_order_relaxed, std::memory_order_relaxed);
  return w;
}

// The normal exit of a sampled write: releases, then reports if its mark
// was overwritten (a write that came in during it lost the mark; writes
// that found the mark only decremented its low bits, and reported
// themselves).
SYNCMAP_NOINLINE inline void end_sampled_write(misuse_state& st, std::uint32_t tid, const char* op) {
  const std::uint64_t w = release_sampled_write(st, tid);
  if (SYNCMAP_UNLIKELY((w & sampled_word::kHigh) != (sampled_word::mark(tid) & sampled_word::kHigh))) {
    sampled_write_conflict(st, w, op);
  }
}

// The exit of a sampled write whose container call threw: releases only.
SYNCMAP_NOINLINE inline void abandon_sampled_write(misuse_state& st, std::uint32_t tid) noexcept {
  static_cast<void>(release_sampled_write(st, tid));
}

// A read of a sampled map that found W: reports unless the mark is stale.
SYNCMAP_NOINLINE inline void sampled_read_conflict(misuse_state& st, std::uint64_t word, const char* op) {
  if (live_mark(st)) read_conflict(st, word, op);
}

// A read of a sampled map: W on entry, as Go's reads check their writing
// flag. Relaxed: it only decides whether to report.
SYNCMAP_ALWAYS_INLINE void peek_sampled_read(misuse_state& st, const char* op) {
  const std::uint64_t w = st.word.load(std::memory_order_relaxed);
  if (SYNCMAP_UNLIKELY((w & misuse_state::kWriting) != 0)) sampled_read_conflict(st, w, op);
}

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_SAMPLED_CHECK_HPP_
