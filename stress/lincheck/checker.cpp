// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The linearizability checker: a Wing-Gong search with Lowe's memoization
// over one key's history at a time.
//
// The search. A key's history is a sequence of events, the call and the
// return of every operation, sorted by stamp. A configuration of the search
// is a set L of operations already linearized, in some order that respects
// real time and the sequential model, plus the model state s that order
// leaves. From (L, s) the search may linearize next any operation outside L
// whose call precedes the earliest return of an operation outside L: that
// operation, x, must take effect before it returned, and nothing called after
// x returned may take effect before x. It applies the candidate to s; if the
// model rejects the candidate's recorded results, or the new configuration
// was explored before (Lowe: the outcome of a configuration depends only on
// (L, s), not on the path to it), the candidate is dropped, and when no
// candidate is left the search backtracks. The search succeeds when L holds
// every operation. It is depth-first and iterative: an explicit stack of the
// operations linearized so far, and the events of the operations outside L
// in a doubly linked list in time order, from which linearizing an
// operation unlinks its two events and backtracking relinks them (in LIFO
// order, so the links are restored exactly). The candidates are then the
// calls at the head of the list, up to its first return.
//
// Compact configurations. Every operation whose call precedes x's return
// and that is outside L is a candidate; every operation called after x
// returned is outside L. So L is fixed by the set C of candidates, a set no
// larger than the number of operations pending at x's return (at most one
// per recording thread), and the memo stores (C, s), not an n-bit set:
// a few words per configuration however long the history is.
//
// Pruning and order. Two rules cut the search without changing its
// answer, and a third orders it:
//   - An operation that leaves every state it accepts unchanged (a load, a
//     failed compare_and_swap, ...: read_only() below) and that the current
//     state accepts is linearized at once, without trying the other
//     candidates: moving it to the front of any successful order of the
//     remaining operations keeps that order successful (it changes no
//     state, and everything that must precede it is already in L), with the
//     same final state. Reads dominate real histories, so this removes most
//     of the branching.
//   - A configuration in which some candidate needs one state (a load that
//     returned 4 needs "holding 4") that no operation able to take effect
//     before that candidate returns can produce any more is dead
//     (doomed_candidate()); so is one whose last step overwrote a value an
//     operation outside L still needs, with nothing left to write it again
//     in time (doomed_observer()). Without these, a write misplaced between
//     another write and the operation that returned its value shows only
//     when that operation must be linearized, possibly much later, and the
//     search first tries every subset of the candidates at every step in
//     between: exponential in the number of pending writes, which on a
//     loaded machine (threads preempted inside an operation) is most of the
//     recording threads.
//   - x is tried first, then the other candidates in call order: each
//     operation takes effect as late as its return allows unless another
//     result needs it earlier.
//
// Slicing. An instant where no operation is pending (a quiescent point) cuts
// the history: every operation before it precedes every operation after it,
// so each slice is checked on its own, but a slice can end in several states
// (two concurrent stores, say), and the next slice must start from each of
// them. So the slices are checked in order, carrying forward the set of
// states the previous slice can end in: a slice's search runs from every
// state of the set, explores every configuration reachable (stopping at
// none) and collects the states of its complete configurations. Only the
// last slice stops at its first complete configuration. Each slice's memo
// and stack are freed at the cut, so memory is bounded by the largest slice
// rather than the history. Enumerating every configuration of a slice costs
// more than finding one linearization when it has many concurrent writes;
// when a slice's enumeration passes a limit proportional to its length, the
// rest of the history, from that slice on, is checked as one last slice
// (stopping at the first complete configuration), which is still compact.

#include "checker.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace syncmap_stress {
namespace lincheck {
namespace {

// ---------------------------------------------------------------------------
// The sequential model of one key (the table in history.hpp).

// Invariant: value == 0 when !has, so equal states compare and hash equal.
struct model_state {
  bool has = false;
  value_t value = 0;

  static model_state absent() { return {}; }
  static model_state holding(value_t v) { return {true, v}; }
  static model_state from(const std::optional<value_t>& v) { return v.has_value() ? holding(*v) : absent(); }

  friend bool operator==(const model_state& a, const model_state& b) {
    return a.has == b.has && a.value == b.value;
  }
  friend bool operator<(const model_state& a, const model_state& b) {
    return a.has != b.has ? b.has : a.value < b.value;
  }
};

bool holds(const model_state& s, value_t v) { return s.has && s.value == v; }

// Applies op to s. Returns false, leaving s unspecified, if op's recorded
// results are impossible from state s.
bool apply(const operation& op, model_state& s) {
  switch (op.kind) {
    case op_kind::load:
      return op.ok == s.has && (!op.ok || op.value == s.value);
    case op_kind::contains:
      return op.ok == s.has;
    case op_kind::store:
      s = model_state::holding(op.arg);
      return true;
    case op_kind::load_or_store:
      if (s.has) return op.ok && op.value == s.value;
      if (op.ok || op.value != op.arg) return false;
      s = model_state::holding(op.arg);
      return true;
    case op_kind::load_and_delete:
      if (op.ok != s.has || (op.ok && op.value != s.value)) return false;
      s = model_state::absent();
      return true;
    case op_kind::erase:
      if (op.ok != s.has) return false;
      s = model_state::absent();
      return true;
    case op_kind::swap:
      if (op.ok != s.has || (op.ok && op.value != s.value)) return false;
      s = model_state::holding(op.arg);
      return true;
    case op_kind::compare_and_swap:
      if (op.ok != holds(s, op.expected)) return false;
      if (op.ok) s = model_state::holding(op.arg);
      return true;
    case op_kind::compare_and_delete:
      if (op.ok != holds(s, op.expected)) return false;
      if (op.ok) s = model_state::absent();
      return true;
    case op_kind::clear:
      s = model_state::absent();
      return true;
  }
  return false;
}

// Whether op leaves unchanged every state from which its results are
// possible (the reduction in the file comment relies on exactly this).
bool read_only(const operation& op) {
  switch (op.kind) {
    case op_kind::load:
    case op_kind::contains:
      return true;
    case op_kind::load_or_store:
      return op.ok;  // loaded
    case op_kind::load_and_delete:
    case op_kind::erase:
      return !op.ok;  // found nothing; the key stays absent
    case op_kind::swap:
      return op.ok && op.value == op.arg;  // replaced a value with itself
    case op_kind::compare_and_swap:
      return !op.ok || op.expected == op.arg;
    case op_kind::compare_and_delete:
      return !op.ok;
    case op_kind::store:
    case op_kind::clear:
      return false;
  }
  return false;
}

// A single state: absent, or holding a value (none: no such state).
struct one_state {
  enum class kind : std::uint8_t { none, value, absent };
  kind k = kind::none;
  value_t value = 0;
};

// The one state op's results require, where they require exactly one (a
// load that returned 4: holding 4; one that found nothing: absent).
one_state needs(const operation& op) {
  const one_state absent{one_state::kind::absent, 0};
  switch (op.kind) {
    case op_kind::load:
    case op_kind::load_and_delete:
    case op_kind::swap:
    case op_kind::load_or_store:
      if (op.ok) return {one_state::kind::value, op.value};
      return absent;
    case op_kind::contains:
    case op_kind::erase:
      return op.ok ? one_state{} : absent;
    case op_kind::compare_and_swap:
    case op_kind::compare_and_delete:
      return op.ok ? one_state{one_state::kind::value, op.expected} : one_state{};
    case op_kind::store:
    case op_kind::clear:
      break;
  }
  return {};
}

// The state op leaves, if it may change the state (none for read-only ops).
one_state leaves(const operation& op) {
  if (read_only(op)) return {};
  switch (op.kind) {
    case op_kind::store:
    case op_kind::swap:
      return {one_state::kind::value, op.arg};
    case op_kind::load_or_store:  // stored
      return op.value == op.arg ? one_state{one_state::kind::value, op.arg} : one_state{};
    case op_kind::compare_and_swap:  // succeeded
      return {one_state::kind::value, op.arg};
    case op_kind::load_and_delete:
    case op_kind::erase:
    case op_kind::compare_and_delete:
    case op_kind::clear:
      return {one_state::kind::absent, 0};
    case op_kind::load:
    case op_kind::contains:
      break;
  }
  return {};
}

std::string to_string(const model_state& s) { return s.has ? std::to_string(s.value) : "absent"; }

// ---------------------------------------------------------------------------
// Events.

struct event {
  std::uint64_t stamp = 0;
  std::uint32_t op = 0;  // index into the key's operations
  bool is_return = false;
};

// Time order. At equal stamps calls come first: two operations are ordered
// only if one's response stamp is strictly below the other's invoke stamp,
// so a call and a return with the same stamp are concurrent.
bool before(const event& a, const event& b) {
  if (a.stamp != b.stamp) return a.stamp < b.stamp;
  if (a.is_return != b.is_return) return !a.is_return;
  return a.op < b.op;
}

// The events of ops in time order. A response stamp below its invoke stamp
// (a broken clock) is read as equal to it.
std::vector<event> sorted_events(const std::vector<operation>& ops) {
  std::vector<event> events;
  events.reserve(2 * ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto op = static_cast<std::uint32_t>(i);
    events.push_back({ops[i].invoke, op, false});
    events.push_back({std::max(ops[i].invoke, ops[i].response), op, true});
  }
  std::sort(events.begin(), events.end(), before);
  return events;
}

// The end (exclusive index into events) of every slice: each quiescent
// point, and the end of the history.
std::vector<std::size_t> slice_ends(const std::vector<event>& events) {
  std::vector<std::size_t> ends;
  std::size_t pending = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].is_return) {
      ++pending;
    } else if (--pending == 0) {
      ends.push_back(i + 1);
    }
  }
  return ends;
}

// ---------------------------------------------------------------------------
// The memo: a set of configurations, each a short string of 32-bit words.
//
// The words of every configuration are appended to one arena; an
// open-addressing table (linear probing, at most half full) indexes them.
// A slot is 0 when empty; otherwise its low 40 bits hold the offset of the
// configuration in the arena plus one, and its high 24 bits the top of the
// configuration's hash, compared before the words.
class config_set {
 public:
  // The first word of a configuration holds the number of words after it.
  // Adds key unless present; returns whether it was added. Does not add it,
  // and returns false with *full set, when size() == limit.
  bool insert(const std::vector<std::uint32_t>& key, std::size_t limit, bool* full) {
    *full = false;
    if (slots_.empty() || 2 * (size_ + 1) > slots_.size()) grow();
    const std::uint64_t h = hash(key.data(), key.size());
    const std::uint64_t tag = h >> kOffsetBits;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    for (; slots_[i] != 0; i = (i + 1) & mask) {
      if ((slots_[i] >> kOffsetBits) != tag) continue;
      const std::size_t at = static_cast<std::size_t>(slots_[i] & kOffsetMask) - 1;
      if (std::equal(key.begin(), key.end(), arena_.begin() + static_cast<std::ptrdiff_t>(at))) return false;
    }
    if (size_ == limit) {
      *full = true;
      return false;
    }
    if (arena_.size() + 1 >= kOffsetMask) throw std::length_error("lincheck: memo arena full");
    slots_[i] = (tag << kOffsetBits) | (arena_.size() + 1);
    arena_.insert(arena_.end(), key.begin(), key.end());
    ++size_;
    return true;
  }

 private:
  static constexpr int kOffsetBits = 40;
  static constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << kOffsetBits) - 1;

  static std::uint64_t hash(const std::uint32_t* words, std::size_t n) {
    std::uint64_t h = 0x9e3779b97f4a7c15U ^ n;
    for (std::size_t i = 0; i < n; ++i) {
      h = (h ^ words[i]) * 0xbf58476d1ce4e5b9U;
      h ^= h >> 31;
    }
    // splitmix64's finalizer: every input bit reaches every output bit.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9U;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebU;
    h ^= h >> 31;
    return h;
  }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), 0);
    const std::size_t mask = slots_.size() - 1;
    for (const std::uint64_t slot : old) {
      if (slot == 0) continue;
      const std::size_t at = static_cast<std::size_t>(slot & kOffsetMask) - 1;
      const std::uint64_t h = hash(&arena_[at], std::size_t{1} + arena_[at]);
      std::size_t i = static_cast<std::size_t>(h) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<std::uint32_t> arena_;
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------
// The search over one unit: a run of the key's events holding both events
// of each of its operations (a slice, or the rest of the history).

class unit_search {
 public:
  enum class outcome : std::uint8_t {
    linearizable,   // a complete configuration was reached
    violation,      // none can be, from any start state
    limit_reached,  // stopped after `limit` configurations
  };

  // local_of: scratch space of one word per operation of the key.
  unit_search(const std::vector<operation>& ops, const event* first, const event* last,
              std::vector<std::uint32_t>& local_of)
      : ops_(ops) {
    const auto n = static_cast<std::size_t>(last - first) / 2;
    global_.reserve(n);
    read_only_.reserve(n);
    return_rank_.resize(n);
    return_index_.resize(n);
    linearized_.resize(n);
    need_.resize(n);
    leaves_.resize(n);
    lists_.resize(1);  // lists_[0]: of the absent state
    head_ = static_cast<std::uint32_t>(2 * n);
    next_.resize(2 * n + 1);
    prev_.resize(2 * n + 1);
    std::uint32_t tail = head_;
    std::uint32_t returns = 0;
    for (const event* e = first; e != last; ++e) {
      const auto index = static_cast<std::uint32_t>(e - first);
      if (!e->is_return) {
        const auto i = static_cast<std::uint32_t>(global_.size());
        local_of[e->op] = i;
        global_.push_back(e->op);
        read_only_.push_back(read_only(ops[e->op]) ? 1 : 0);
        leaves_[i] = leaves(ops[e->op]);
        if (leaves_[i].k != one_state::kind::none) lists_[list_for(leaves_[i])].producers.push_back(index);
      }
      const std::uint32_t i = local_of[e->op];
      if (e->is_return) {
        return_rank_[i] = returns++;
        return_index_[i] = index;
        const one_state needed = needs(ops[e->op]);
        need_[i].k = needed.k;
        need_[i].value = needed.value;
        if (needed.k != one_state::kind::none) {
          need_[i].list = list_for(needed);
          lists_[need_[i].list].observers.push_back(i);
        }
      }
      const std::uint32_t node = e->is_return ? return_node(i) : call_node(i);
      next_[tail] = node;
      prev_[node] = tail;
      tail = node;
    }
    next_[tail] = head_;
    prev_[head_] = tail;
  }

  std::uint32_t list_for(const one_state& s) {
    if (s.k == one_state::kind::absent) return 0;
    const auto it = list_of_value_.try_emplace(s.value, static_cast<std::uint32_t>(lists_.size())).first;
    if (it->second == lists_.size()) lists_.emplace_back();
    return it->second;
  }

  // Searches from each state in starts (sorted, distinct). With all_ends,
  // explores every reachable configuration and appends the state of each
  // complete one to ends (each state once); otherwise stops at the first.
  outcome run(const std::vector<model_state>& starts, bool all_ends, std::size_t limit,
              std::vector<model_state>& ends) {
    limit_ = limit;
    for (const model_state& start : starts) {
      state_ = start;
      const entry e = enter();
      if (e == entry::over_limit) return outcome::limit_reached;
      if (e == entry::rejected) continue;  // explored from an earlier start
      const outcome o = explore(all_ends, ends);
      if (o != outcome::violation) return o;
    }
    return all_ends && !ends.empty() ? outcome::linearizable : outcome::violation;
  }

  std::size_t explored() const { return explored_; }

  // After a violation: the operation (index into the key's operations) that
  // no explored configuration could linearize (the earliest-returning one
  // outside L in the configurations that got furthest), and the states
  // those configurations were in (at most kMaxStuckStates of them).
  std::uint32_t stuck_op() const { return global_[stuck_]; }
  const std::vector<model_state>& stuck_states() const { return stuck_states_; }
  bool stuck_states_truncated() const { return stuck_states_truncated_; }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kMaxStuckStates = 8;

  enum class entry : std::uint8_t { fresh, rejected, over_limit };

  // The one state an operation needs (needs()), if any, and the calls of
  // the operations that can leave that state.
  struct need {
    one_state::kind k = one_state::kind::none;
    value_t value = 0;
    std::uint32_t list = 0;  // index into lists_
  };

  // The operations that leave one state, and those that need it.
  struct state_lists {
    std::vector<std::uint32_t> producers;  // the positions of their calls, increasing
    std::vector<std::uint32_t> observers;  // local indices, by return
  };

  struct frame {
    std::uint32_t op = 0;  // the operation linearized at this depth
    bool forced = false;   // by the read-only reduction: no alternatives
    model_state before;    // the state before it
  };

  // Nodes of the event list: 2i is operation i's call, 2i+1 its return,
  // head_ (= 2n) the sentinel. Invariant: the list holds, in time order,
  // the events of exactly the operations outside L.
  bool is_call(std::uint32_t node) const { return node != head_ && (node & 1) == 0; }
  static std::uint32_t call_node(std::uint32_t i) { return 2 * i; }
  static std::uint32_t return_node(std::uint32_t i) { return 2 * i + 1; }

  void unlink(std::uint32_t node) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }
  void relink(std::uint32_t node) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }
  void lift(std::uint32_t i) {
    unlink(call_node(i));
    unlink(return_node(i));
    linearized_[i] = 1;
  }
  void unlift(std::uint32_t i) {
    relink(return_node(i));
    relink(call_node(i));
    linearized_[i] = 0;
  }

  // Records the current configuration (the list and state_) in the memo.
  // If it is new, also sets forced_ to a read-only candidate the state
  // accepts (or kNone), and notes how far the search got.
  // left: the state before the step that led here (none for a start).
  entry enter(const model_state* left = nullptr) {
    // The key: [number of words after this one, has, value low, value high,
    // the candidates (local indices, increasing)].
    key_.assign(4, 0);
    key_[1] = state_.has ? 1 : 0;
    const auto bits = static_cast<std::uint64_t>(state_.value);
    key_[2] = static_cast<std::uint32_t>(bits);
    key_[3] = static_cast<std::uint32_t>(bits >> 32);
    std::uint32_t node = next_[head_];
    for (; is_call(node); node = next_[node]) key_.push_back(node >> 1);
    key_[0] = static_cast<std::uint32_t>(key_.size() - 1);
    bool full = false;
    if (!seen_.insert(key_, limit_, &full)) return full ? entry::over_limit : entry::rejected;
    ++explored_;

    forced_ = kNone;
    for (std::size_t k = 4; k < key_.size(); ++k) {
      const std::uint32_t i = key_[k];
      model_state s = state_;
      if (read_only_[i] != 0 && apply(ops_[global_[i]], s)) {
        forced_ = i;
        break;
      }
    }
    first_return_ = node >> 1;
    if (node == head_) return entry::fresh;  // complete
    std::uint32_t doomed = doomed_candidate();
    if (doomed == kNone && left != nullptr && !(*left == state_)) doomed = doomed_observer(*left);
    note_progress(first_return_, doomed == kNone ? first_return_ : doomed);
    return doomed == kNone ? entry::fresh : entry::rejected;
  }

  // A candidate that can never be linearized from this configuration, or
  // kNone. See reachable().
  std::uint32_t doomed_candidate() {
    for (std::uint32_t node = next_[head_]; is_call(node); node = next_[node]) {
      const std::uint32_t y = node >> 1;
      if (need_[y].k != one_state::kind::none && !reachable(need_[y], return_index_[y])) return y;
    }
    return kNone;
  }

  // After the state left `left`: an operation outside L, a candidate or not
  // yet called, that needs `left` but can no longer have it (no candidate
  // leaves `left`, and no operation called before the observer returns
  // does), or kNone. The observer returning first is the one to check: an
  // operation that could help it could help every later one.
  std::uint32_t doomed_observer(const model_state& left) {
    std::uint32_t list = 0;
    if (left.has) {
      const auto it = list_of_value_.find(left.value);
      if (it == list_of_value_.end()) return kNone;
      list = it->second;
    }
    const state_lists& lists = lists_[list];
    if (lists.observers.empty()) return kNone;
    for (std::uint32_t node = next_[head_]; is_call(node); node = next_[node]) {
      const one_state& l = leaves_[node >> 1];
      if (l.k != one_state::kind::none && (l.k == one_state::kind::absent) == !left.has &&
          (!left.has || l.value == left.value)) {
        return kNone;  // a candidate can restore it
      }
    }
    // The first observer outside L (every one returns no earlier than x).
    const std::uint32_t x_returns = return_index_[first_return_];
    auto o = std::lower_bound(lists.observers.begin(), lists.observers.end(), x_returns,
                              [&](std::uint32_t i, std::uint32_t at) { return return_index_[i] < at; });
    while (o != lists.observers.end() && linearized_[*o] != 0) ++o;
    if (o == lists.observers.end()) return kNone;
    const auto later = std::upper_bound(lists.producers.begin(), lists.producers.end(), x_returns);
    if (later != lists.producers.end() && *later < return_index_[*o]) return kNone;
    return *o;
  }

  // Whether the state `wanted` may hold at some point before the event
  // `deadline` (a candidate's return), for all this configuration can tell.
  //
  // If it is not the current state, some operation linearized from now on
  // must leave it: a candidate, or an operation called between x's return
  // (no such operation is a candidate yet) and the deadline. The latter
  // count as able to; a candidate p counts if it needs no single state, or
  // if the state it needs is itself reachable by the same rule. This
  // over-approximates (a "no" is certain) and costs O(candidates) per state
  // it visits.
  bool reachable(const need& wanted, std::uint32_t deadline) {
    const std::uint32_t x_returns = return_index_[first_return_];
    goals_.assign(1, wanted);
    for (std::size_t k = 0; k < goals_.size(); ++k) {
      const need g = goals_[k];
      const bool absent = g.k == one_state::kind::absent;
      if (absent ? !state_.has : holds(state_, g.value)) return true;
      const std::vector<std::uint32_t>& calls = lists_[g.list].producers;
      const auto later = std::upper_bound(calls.begin(), calls.end(), x_returns);
      if (later != calls.end() && *later < deadline) return true;
      for (std::uint32_t node = next_[head_]; is_call(node); node = next_[node]) {
        const std::uint32_t p = node >> 1;
        const one_state& left = leaves_[p];
        if (left.k != g.k || (!absent && left.value != g.value)) continue;
        const need& before = need_[p];
        if (before.k == one_state::kind::none) return true;
        const bool known = std::any_of(goals_.begin(), goals_.end(), [&](const need& h) {
          return h.k == before.k && (h.k == one_state::kind::absent || h.value == before.value);
        });
        if (!known) goals_.push_back(before);
      }
    }
    return false;
  }

  // x: the operation outside L that returns first; culprit: x, or the
  // candidate found doomed.
  void note_progress(std::uint32_t x, std::uint32_t culprit) {
    if (stuck_ == kNone || return_rank_[x] > return_rank_[progress_]) {
      progress_ = x;
      stuck_ = culprit;
      stuck_states_.clear();
      stuck_states_truncated_ = false;
    } else if (x != progress_) {
      return;
    }
    if (std::find(stuck_states_.begin(), stuck_states_.end(), state_) != stuck_states_.end()) return;
    if (stuck_states_.size() == kMaxStuckStates) {
      stuck_states_truncated_ = true;
    } else {
      stuck_states_.push_back(state_);
    }
  }

  // Linearizes operation i next, if the model accepts it and the resulting
  // configuration is new.
  entry step(std::uint32_t i, bool forced) {
    model_state after = state_;
    if (!apply(ops_[global_[i]], after)) return entry::rejected;
    lift(i);
    const model_state before = state_;
    state_ = after;
    const entry e = enter(&before);
    if (e != entry::fresh) {
      unlift(i);
      state_ = before;
      return e;
    }
    stack_.push_back({i, forced, before});
    return entry::fresh;
  }

  // The operation outside L that returns first (the list's first return).
  std::uint32_t first_return() const {
    std::uint32_t node = next_[head_];
    while (is_call(node)) node = next_[node];
    return node >> 1;
  }

  // The depth-first search from the configuration just entered.
  //
  // The candidates of a configuration are tried in this order: a forced one
  // alone (the reduction); otherwise first x, the operation that returns
  // first, then the others in call order. Trying x first linearizes each
  // operation as late as its return allows unless another result needs it
  // earlier.
  outcome explore(bool all_ends, std::vector<model_state>& ends) {
    bool fresh = true;           // the current configuration was just entered
    std::uint32_t node = head_;  // otherwise: the next candidate to try
    std::uint32_t x = kNone;     // the current configuration's first returner
    for (;;) {
      bool scan = !fresh;
      if (!fresh) {
        // Resume the scan of this configuration's candidates at node.
      } else if (next_[head_] == head_) {  // every operation linearized
        if (!all_ends) return outcome::linearizable;
        ends.push_back(state_);
      } else if (forced_ != kNone) {
        const entry e = step(forced_, /*forced=*/true);
        if (e == entry::fresh) continue;
        if (e == entry::over_limit) return outcome::limit_reached;
      } else {
        x = first_return_;
        const entry e = step(x, /*forced=*/false);
        if (e == entry::fresh) continue;
        if (e == entry::over_limit) return outcome::limit_reached;
        node = next_[head_];
        scan = true;
      }
      if (scan) {
        entry e = entry::rejected;
        for (; is_call(node); node = next_[node]) {
          if ((node >> 1) == x) continue;  // tried first
          e = step(node >> 1, /*forced=*/false);
          if (e != entry::rejected) break;
        }
        if (e == entry::over_limit) return outcome::limit_reached;
        if (e == entry::fresh) {
          fresh = true;
          continue;
        }
      }
      // Nothing left to try here: backtrack to the last configuration with
      // candidates left (a forced step left none).
      fresh = false;
      for (;;) {
        if (stack_.empty()) return outcome::violation;
        const frame f = stack_.back();
        stack_.pop_back();
        unlift(f.op);
        state_ = f.before;
        if (!f.forced) {
          x = first_return();
          node = next_[f.op == x ? head_ : call_node(f.op)];
          break;
        }
      }
    }
  }

  const std::vector<operation>& ops_;
  std::vector<std::uint32_t> global_;        // local index -> index into ops_; by call order
  std::vector<std::uint8_t> read_only_;      // by local index
  std::vector<std::uint32_t> return_rank_;   // by local index: position among the returns
  std::vector<std::uint32_t> return_index_;  // by local index: position among the events
  std::vector<std::uint8_t> linearized_;     // by local index: in L
  std::vector<need> need_;                   // by local index
  std::vector<one_state> leaves_;            // by local index
  std::vector<state_lists> lists_;           // [0]: absent; then one per value (list_of_value_)
  std::unordered_map<value_t, std::uint32_t> list_of_value_;
  std::vector<std::uint32_t> next_;
  std::vector<std::uint32_t> prev_;
  std::uint32_t head_ = 0;

  model_state state_;
  std::uint32_t forced_ = kNone;        // set by enter() for a new configuration
  std::uint32_t first_return_ = kNone;  // likewise: the first returner (n if none)
  std::vector<frame> stack_;
  config_set seen_;
  std::vector<std::uint32_t> key_;
  std::vector<need> goals_;  // reachable()'s scratch space
  std::size_t explored_ = 0;
  std::size_t limit_ = 0;

  std::uint32_t progress_ = kNone;  // the furthest first returner seen (local index)
  std::uint32_t stuck_ = kNone;     // the culprit there
  std::vector<model_state> stuck_states_;
  bool stuck_states_truncated_ = false;
};

// A slice whose enumeration visits more than this many configurations per
// operation (and more than kMinEnumerationLimit) is not enumerated; the rest
// of the history is then searched as one (see the file comment).
constexpr std::size_t kEnumerationLimitPerOp = 64;
constexpr std::size_t kMinEnumerationLimit = 4096;

// ---------------------------------------------------------------------------
// Violation reports.

// The window shown for a violation: the stuck operation, up to
// kConcurrent operations concurrent with it (those called nearest its
// call), the kBefore operations that returned last before it was called
// (the writes it should have seen) and the kAfter called first after it
// returned; sorted by invoke.
std::vector<operation> window_around(const std::vector<operation>& ops, std::size_t stuck) {
  constexpr std::size_t kConcurrent = 16;
  constexpr std::size_t kBefore = 4;
  constexpr std::size_t kAfter = 2;
  const operation& x = ops[stuck];
  std::vector<std::size_t> before;
  std::vector<std::size_t> concurrent;
  std::vector<std::size_t> after;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i == stuck) continue;
    if (ops[i].response < x.invoke) {
      before.push_back(i);
    } else if (x.response < ops[i].invoke) {
      after.push_back(i);
    } else {
      concurrent.push_back(i);
    }
  }
  const auto keep = [](std::vector<std::size_t>& v, std::size_t n, auto closer) {
    if (v.size() <= n) return;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), closer);
    v.resize(n);
  };
  const auto distance = [&](std::size_t i) {
    return ops[i].invoke > x.invoke ? ops[i].invoke - x.invoke : x.invoke - ops[i].invoke;
  };
  keep(concurrent, kConcurrent, [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
  keep(before, kBefore, [&](std::size_t a, std::size_t b) { return ops[a].response > ops[b].response; });
  keep(after, kAfter, [&](std::size_t a, std::size_t b) { return ops[a].invoke < ops[b].invoke; });

  std::vector<std::size_t> picked{stuck};
  picked.insert(picked.end(), before.begin(), before.end());
  picked.insert(picked.end(), concurrent.begin(), concurrent.end());
  picked.insert(picked.end(), after.begin(), after.end());
  std::sort(picked.begin(), picked.end(), [&](std::size_t a, std::size_t b) {
    return ops[a].invoke != ops[b].invoke ? ops[a].invoke < ops[b].invoke : a < b;
  });
  std::vector<operation> window;
  window.reserve(picked.size());
  for (const std::size_t i : picked) window.push_back(ops[i]);
  return window;
}

// "absent", "4", "absent or 4", "3, 4 or 5", "3, 4, 5 or others".
std::string list_states(const std::vector<model_state>& states, bool truncated) {
  std::vector<std::string> words;
  words.reserve(states.size() + 1);
  for (const model_state& s : states) words.push_back(to_string(s));
  if (truncated) words.emplace_back("others");
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

// What op claims, and the state it needs, e.g. {"load returned 7", "value 7"}.
std::pair<std::string, std::string> claim(const operation& op) {
  const std::string v = std::to_string(op.value);
  const std::string e = std::to_string(op.expected);
  const std::string name = to_string(op.kind);
  switch (op.kind) {
    case op_kind::load:
    case op_kind::load_and_delete:
    case op_kind::swap:
      if (op.ok) return {name + " returned " + v, "value " + v};
      return {name + " found the key absent", "the key absent"};
    case op_kind::contains:
    case op_kind::erase:
      if (op.ok) return {name + " found the key", "the key present"};
      return {name + " found the key absent", "the key absent"};
    case op_kind::load_or_store:
      if (op.ok) return {name + " loaded " + v, "value " + v};
      if (op.value != op.arg) {
        return {name + " stored " + std::to_string(op.arg) + " but returned " + v, "such a state"};
      }
      return {name + " stored " + v, "the key absent"};
    case op_kind::compare_and_swap:
    case op_kind::compare_and_delete:
      if (op.ok) return {name + " matched " + e, "value " + e};
      return {name + " did not match " + e, "a state other than value " + e};
    case op_kind::store:
    case op_kind::clear:
      break;
  }
  return {name + " completed", "an order of the operations around it that fits their results"};
}

violation make_violation(const key_history& history, const unit_search& unit) {
  const std::size_t stuck = unit.stuck_op();
  const operation& x = history.ops[stuck];
  const auto [what, needed] = claim(x);
  violation v;
  v.key = history.key;
  v.initial = history.initial;
  v.ops = window_around(history.ops, stuck);
  v.explanation = describe(x) + ": " + what + " but no linearization has " + needed +
                  " at that point (the key can only be " +
                  list_states(unit.stuck_states(), unit.stuck_states_truncated()) + " there)";
  return v;
}

}  // namespace

check_result check_key(const key_history& history, std::size_t state_budget) {
  check_result result;
  const std::vector<operation>& ops = history.ops;
  if (ops.empty()) return result;
  if (ops.size() >= std::numeric_limits<std::uint32_t>::max() / 4) {
    throw std::length_error("lincheck: too many operations for one key");
  }
  result.stats.histories = 1;
  result.stats.operations = ops.size();

  const std::vector<event> events = sorted_events(ops);
  const std::vector<std::size_t> ends_of_slices = slice_ends(events);
  std::vector<std::uint32_t> local_of(ops.size());
  // Invariant: starts holds every state, and only the states, in which some
  // linearization of the slices before `begin` leaves the key.
  std::vector<model_state> starts{model_state::from(history.initial)};
  std::size_t begin = 0;
  std::size_t explored = 0;
  const auto finish = [&](unit_search::outcome o, const unit_search& unit) {
    if (o == unit_search::outcome::violation) {
      result.linearizable = false;
      result.first_violation = make_violation(history, unit);
    } else if (o == unit_search::outcome::limit_reached) {
      result.stats.inconclusive = 1;
    }
  };

  for (std::size_t s = 0; s < ends_of_slices.size(); ++s) {
    if (s + 1 < ends_of_slices.size()) {
      const std::size_t end = ends_of_slices[s];
      const std::size_t remaining = state_budget - explored;
      const std::size_t cap = std::max(kMinEnumerationLimit, kEnumerationLimitPerOp * (end - begin) / 2);
      const std::size_t limit = std::min(cap, remaining);
      unit_search unit(ops, events.data() + begin, events.data() + end, local_of);
      std::vector<model_state> next_starts;
      const auto o = unit.run(starts, /*all_ends=*/true, limit, next_starts);
      explored += unit.explored();
      if (o == unit_search::outcome::linearizable) {
        std::sort(next_starts.begin(), next_starts.end());
        starts = std::move(next_starts);
        begin = end;
        continue;
      }
      if (o == unit_search::outcome::violation || limit == remaining) {
        finish(o, unit);
        break;
      }
      // Too many configurations to enumerate: search the rest as one.
    }
    const std::size_t remaining = state_budget - explored;
    unit_search unit(ops, events.data() + begin, events.data() + events.size(), local_of);
    std::vector<model_state> unused;
    const auto o = unit.run(starts, /*all_ends=*/false, remaining, unused);
    explored += unit.explored();
    finish(o, unit);
    break;
  }
  result.stats.states_explored = explored;
  return result;
}

check_result check_histories(const std::vector<const std::vector<operation>*>& logs,
                             const std::map<key_t, std::optional<value_t>>& initial_states, unsigned threads,
                             std::size_t state_budget_per_key) {
  // Split by key (ordered, so results come out by key), projecting clear()
  // into every key.
  std::map<key_t, std::vector<operation>> by_key;
  std::vector<operation> clears;
  for (const std::vector<operation>* log : logs) {
    if (log == nullptr) continue;
    for (const operation& op : *log) {
      if (op.kind == op_kind::clear) {
        clears.push_back(op);
      } else {
        by_key[op.key].push_back(op);
      }
    }
  }
  for (const auto& initial : initial_states) by_key.try_emplace(initial.first);

  std::vector<key_history> histories;
  histories.reserve(by_key.size());
  for (auto& [key, ops] : by_key) {
    if (ops.empty() && clears.empty()) continue;  // nothing happened to this key
    key_history h;
    h.key = key;
    const auto initial = initial_states.find(key);
    if (initial != initial_states.end()) h.initial = initial->second;
    h.ops = std::move(ops);
    for (operation op : clears) {
      op.key = key;
      h.ops.push_back(op);
    }
    histories.push_back(std::move(h));
  }

  // Workers take keys one at a time from a shared index, so one long
  // history does not hold up the keys behind it. The calling thread is one
  // of them.
  std::vector<check_result> results(histories.size());
  std::atomic<std::size_t> next{0};
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, histories.size()));
  std::vector<std::exception_ptr> errors(workers);
  const auto work = [&](std::size_t worker) {
    try {
      for (std::size_t i = next.fetch_add(1); i < histories.size(); i = next.fetch_add(1)) {
        results[i] = check_key(histories[i], state_budget_per_key);
      }
    } catch (...) {
      errors[worker] = std::current_exception();
      next.store(histories.size());  // the others stop at their next key
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(workers - 1);
  try {
    for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work, w);
  } catch (...) {  // could not start a thread: check with those running
  }
  work(0);
  for (std::thread& t : helpers) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e != nullptr) std::rethrow_exception(e);
  }

  check_result total;
  for (check_result& r : results) {
    total.stats.histories += r.stats.histories;
    total.stats.operations += r.stats.operations;
    total.stats.states_explored += r.stats.states_explored;
    total.stats.inconclusive += r.stats.inconclusive;
    if (!r.linearizable && total.linearizable) {
      total.linearizable = false;
      total.first_violation = std::move(r.first_violation);
    }
  }
  return total;
}

}  // namespace lincheck
}  // namespace syncmap_stress
