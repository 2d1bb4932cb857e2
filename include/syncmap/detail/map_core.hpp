// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The algorithm of syncmap::sync_map: Go's src/sync/map.go, in C++.
//
// The map keeps two tables of shared entries (entry.hpp):
//   - read_, an immutable snapshot published through an atomic pointer and
//     searched without any lock; and
//   - dirty_, a table only the mutex holder touches, holding every live key
//     whenever it exists.
// An operation on a key in the snapshot is a lock-free CAS on its entry. A
// key the snapshot lacks is looked up in dirty_ under the mutex, counting a
// miss; after as many misses as dirty_ has entries, dirty_ becomes the
// snapshot. The first new key after that rebuilds dirty_ from the snapshot,
// expunging deleted entries so they can be freed at the next promotion.
//
// Memory: every table, entry and value box a lock-free reader may still hold
// is retired (reclaim.hpp), never freed directly, except by the destructor,
// which runs when no operation can be in progress.
//
// Functions whose name ends in _locked must be called with mu_ held.

#ifndef SYNCMAP_DETAIL_MAP_CORE_HPP_
#define SYNCMAP_DETAIL_MAP_CORE_HPP_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "syncmap/detail/config.hpp"
#include "syncmap/detail/entry.hpp"
#include "syncmap/detail/hash_policy.hpp"
#include "syncmap/detail/presence_gate.hpp"
#include "syncmap/detail/reclaim.hpp"
#include "syncmap/detail/schedule_point.hpp"
#include "syncmap/detail/snapshot.hpp"
#include "syncmap/detail/table.hpp"

namespace syncmap {
namespace detail {

template <class Key, class Value, class Hash, class KeyEqual>
class map_core {
 public:
  using entry_type = entry<Key, Value>;
  using box_type = box<Value>;
  using hasher_type = key_hasher<Hash>;
  using equal_type = entry_equal<entry_type, KeyEqual>;
  using table_type = table<entry_type, equal_type>;

  map_core(const Hash& hash, const KeyEqual& eq) : hasher_(hash), equal_(eq) {}
  map_core(const map_core&) = delete;
  map_core& operator=(const map_core&) = delete;

  ~map_core() {
    // No operation can be running (destroying a map in use is undefined, as
    // for any C++ object), so nothing is retired: free directly.
    const auto r = read_.load_locked();
    if (r.table != nullptr) {
      for (entry_type* e : *r.table) {
        // With dirty_ present, its entries are freed below; the snapshot's
        // other entries are expunged and in no other table.
        if (dirty_ == nullptr || e->state() == entry_type::expunged()) entry_type::destroy(e);
      }
      delete r.table;
    }
    if (dirty_ != nullptr) {
      for (entry_type* e : *dirty_) entry_type::destroy(e);
      delete dirty_;
    }
    // owner_'s destructor, which runs after this body, drains what earlier
    // operations retired.
  }

  const Hash& hash_function() const noexcept { return hasher_.user_hash(); }
  const KeyEqual& key_eq() const noexcept { return equal_.user_equal(); }

  // ---- Go's Load. ----
  template <class K, class F>
  SYNCMAP_ALWAYS_INLINE auto visit(const K& key, F&& f) {
    const std::size_t h = hasher_(key);
    reclaim::section s;
    entry_type* const e = find_entry(key, h);
    const box_type* const p = e == nullptr ? nullptr : e->state();
    return f(entry_type::holds_value(p) ? &p->value : nullptr);
  }

  // ---- Go's Swap (and Store, which is Swap ignoring the result). ----
  // Calls observe(p) with the state each attempt would replace (see
  // entry::try_swap), and returns the replaced value's box -- nullptr if the
  // key was absent -- retired already but readable until `s` ends.
  template <class Observe>
  const box_type* swap(const reclaim::section& s, const Key& key, Value&& value, Observe&& observe) {
    const std::size_t h = hasher_(key);
    auto next = make_box(std::move(value));
    const presence_gate::ticket t = ticket(s);

    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    if (entry_type* e = find(r.table, key, h)) {
      const auto res = e->try_swap(next.get(), observe, t);
      if (res.swapped) return swapped_in(s, next, res.previous);
    }

    std::lock_guard<std::mutex> lock(mu_);
    SYNCMAP_SCHEDULE_POINT(mutex_acquired);
    r = read_.load_locked();
    if (entry_type* e = find(r.table, key, h)) {
      unexpunge_if_needed_locked(e);
      const auto res = e->try_swap(next.get(), observe, t);  // cannot be expunged now
      return swapped_in(s, next, res.previous);
    }
    if (entry_type* e = find(dirty_, key, h)) {
      const auto res = e->try_swap(next.get(), observe, t);
      return swapped_in(s, next, res.previous);
    }
    observe(static_cast<box_type*>(nullptr));
    insert_new_locked(h, key, next, r);
    return nullptr;
  }

  // ---- Go's LoadOrStore. ----
  // Returns the loaded box (and true) or the stored box (and false); either
  // stays readable until `s` ends. `before_store(box)` runs once the box to
  // store is made, before it is published; it may throw, leaving the map
  // unchanged.
  template <class BeforeStore>
  std::pair<const box_type*, bool> load_or_store(const reclaim::section& s, const Key& key, Value&& value,
                                                 BeforeStore&& before_store) {
    const std::size_t h = hasher_(key);
    std::unique_ptr<box_type> next;
    auto make = [&]() -> box_type* {
      if (next == nullptr) {
        next = make_box(std::move(value));
        before_store(static_cast<const box_type&>(*next));
      }
      return next.get();
    };
    const presence_gate::ticket t = ticket(s);
    using status = typename entry_type::load_or_store_status;

    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    if (entry_type* e = find(r.table, key, h)) {
      const auto res = e->try_load_or_store(make, t);
      if (res.status == status::loaded) return {res.box, true};
      if (res.status == status::stored) return {next.release(), false};
    }

    std::lock_guard<std::mutex> lock(mu_);
    SYNCMAP_SCHEDULE_POINT(mutex_acquired);
    r = read_.load_locked();
    if (entry_type* e = find(r.table, key, h)) {
      unexpunge_if_needed_locked(e);
      const auto res = e->try_load_or_store(make, t);
      if (res.status == status::loaded) return {res.box, true};
      return {next.release(), false};
    }
    if (entry_type* e = find(dirty_, key, h)) {
      const auto res = e->try_load_or_store(make, t);
      miss_locked(s);
      if (res.status == status::loaded) return {res.box, true};
      return {next.release(), false};
    }
    make();
    return {insert_new_locked(h, key, next, r), false};
  }

  // ---- Go's LoadAndDelete (and Delete). ----
  // `accept(box)` runs before the deleting CAS and may throw (nothing changes
  // then). Returns the removed box, readable until `s` ends, or nullptr.
  template <class K, class Accept>
  const box_type* load_and_delete(const reclaim::section& s, const K& key, Accept&& accept) {
    const std::size_t h = hasher_(key);
    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    entry_type* e = find(r.table, key, h);
    if (e == nullptr && r.amended) {
      std::lock_guard<std::mutex> lock(mu_);
      SYNCMAP_SCHEDULE_POINT(mutex_acquired);
      r = read_.load_locked();
      e = find(r.table, key, h);
      if (e == nullptr && r.amended) {
        // Unlike Go, the entry stays in dirty_ (nil after the CAS below), as
        // in CompareAndDelete: tables never shrink (snapshot.hpp), and the
        // entry is expunged at the next rebuild and freed after the next
        // promotion, like any deleted entry. Go deletes the key from its
        // dirty map, which then counts one entry fewer toward promotion;
        // dirty_deleted_ keeps that count, without which fresh keys stored
        // and deleted would never promote and dirty_ would grow without
        // bound (Go issue 40999).
        e = find(dirty_, key, h);
        if (e != nullptr) ++dirty_deleted_;
        // Whether or not the key was present, record a miss: it takes the
        // slow path until dirty_ is promoted.
        miss_locked(s);
      }
    }
    if (e == nullptr) return nullptr;
    return retired(s, e->try_delete(accept, ticket(s)));
  }

  // ---- Go's CompareAndSwap. ----
  bool compare_and_swap(const reclaim::section& s, const Key& key, const Value& old_value,
                        Value&& new_value) {
    const std::size_t h = hasher_(key);
    std::unique_ptr<box_type> next;
    auto make = [&]() -> box_type* {
      if (next == nullptr) next = make_box(std::move(new_value));
      return next.get();
    };
    auto matches = [&](const Value& v) { return v == old_value; };
    const presence_gate::ticket t = ticket(s);

    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    if (entry_type* e = find(r.table, key, h)) {
      return swapped_in_if(s, next, e->try_compare_and_swap(matches, make, t));
    }
    if (!r.amended) return false;  // no existing value for the key

    std::lock_guard<std::mutex> lock(mu_);
    SYNCMAP_SCHEDULE_POINT(mutex_acquired);
    r = read_.load_locked();
    if (entry_type* e = find(r.table, key, h)) {
      return swapped_in_if(s, next, e->try_compare_and_swap(matches, make, t));
    }
    if (entry_type* e = find(dirty_, key, h)) {
      box_type* const replaced = e->try_compare_and_swap(matches, make, t);
      // The operation did not change the set of keys, so the map would serve
      // it faster after a promotion: count it as a miss.
      miss_locked(s);
      return swapped_in_if(s, next, replaced);
    }
    return false;
  }

  // ---- Go's CompareAndDelete. ----
  bool compare_and_delete(const reclaim::section& s, const Key& key, const Value& old_value) {
    const std::size_t h = hasher_(key);
    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    entry_type* e = find(r.table, key, h);
    if (e == nullptr && r.amended) {
      std::lock_guard<std::mutex> lock(mu_);
      SYNCMAP_SCHEDULE_POINT(mutex_acquired);
      r = read_.load_locked();
      e = find(r.table, key, h);
      if (e == nullptr && r.amended) {
        // Keep the entry in dirty_: the compare is still to be made. If it
        // succeeds, the entry is expunged at the next rebuild.
        e = find(dirty_, key, h);
        miss_locked(s);
      }
    }
    if (e == nullptr) return false;
    auto accept = [&](const box_type* p) { return p->value == old_value; };
    return retired(s, e->try_delete(accept, ticket(s))) != nullptr;
  }

  // ---- Go's Range. ----
  // Calls f(key, value) for each present key; stops when f returns false.
  template <class F>
  void range(F& f) {
    reclaim::section s;
    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    if (r.amended) {
      // The snapshot lacks some keys: promote dirty_ first (the iteration is
      // O(n) anyway), so that every key is in the table iterated.
      std::lock_guard<std::mutex> lock(mu_);
      SYNCMAP_SCHEDULE_POINT(mutex_acquired);
      r = read_.load_locked();
      if (r.amended) {
        promote_locked(s);
        r = read_.load_locked();
      }
    }
    if (r.table == nullptr) return;
    // The table is immutable and kept alive by s, even if f clears the map.
    for (const entry_type* e : *r.table) {
      SYNCMAP_SCHEDULE_POINT(range_step);
      const box_type* const p = e->state();
      if (!entry_type::holds_value(p)) continue;
      if (!f(e->key(), p->value)) break;
    }
  }

  // ---- Go's Clear. ----
  void clear() {
    reclaim::section s;
    auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    if (is_empty(r.table) && !r.amended) return;

    std::lock_guard<std::mutex> lock(mu_);
    SYNCMAP_SCHEDULE_POINT(mutex_acquired);
    r = read_.load_locked();
    if (!is_empty(r.table) || r.amended) {
      read_.store_locked(nullptr, false);
      SYNCMAP_SCHEDULE_POINT(clear_published);
      if (r.table != nullptr) {
        for (entry_type* e : *r.table) {
          // Entries also in dirty_ are retired with it below.
          if (dirty_ == nullptr || e->state() == entry_type::expunged()) {
            reclaim::retire(s, owner_, e, kEntry);
          }
        }
        reclaim::retire(s, owner_, r.table, kTable);
      }
    }
    if (dirty_ != nullptr) {
      for (entry_type* e : *dirty_) reclaim::retire(s, owner_, e, kEntry);
      dirty_->clear();
    }
    expunged_ = nullptr;
    misses_ = 0;
    dirty_deleted_ = 0;
  }

  // ---- size() and empty(): one instant of the map (presence_gate.hpp). ----
  // Calls f(entry) for each live entry, as of one instant between the call
  // and its return, until f returns false. O(n); blocks changes of presence.
  template <class F>
  void for_each_live_at_one_instant(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    gate_.close_locked();
    // dirty_, when it exists, holds every live key; otherwise the snapshot
    // does. Entries cannot be retired while we hold the mutex.
    const table_type* t = dirty_ != nullptr ? dirty_ : read_.load_locked().table;
    if (t != nullptr) {
      for (const entry_type* e : *t) {
        SYNCMAP_SCHEDULE_POINT(size_step);
        if (entry_type::holds_value(e->state()) && !f(e)) break;
      }
    }
    gate_.open_locked();
  }

  // A view without the mutex: true if the map surely has no key right now
  // (no snapshot entry and nothing pending in dirty_).
  bool surely_empty() const noexcept {
    const auto r = read_.load();
    return is_empty(r.table) && !r.amended;
  }

  // ---- Introspection for tests (see test_access.hpp). ----
  template <class Visitor>
  void inspect_locked_state(Visitor&& v) {
    std::lock_guard<std::mutex> lock(mu_);
    v(read_.load_locked(), dirty_, misses_);
  }

 private:
  enum kind : unsigned { kBox = 0, kEntry = 1, kTable = 2 };

  static void dispose(reclaim::node* n, unsigned k) noexcept {
    switch (k) {
      case kBox:
        delete static_cast<box_type*>(n);
        break;
      case kEntry:
        entry_type::destroy(static_cast<entry_type*>(n));
        break;
      default:
        delete static_cast<table_type*>(n);
        break;
    }
  }

  // The bytes a retired node stands for, for the domain's collect-by-bytes:
  // the object itself, and a table's slot and control arrays. What a key or
  // value owns elsewhere (a string's buffer) is not counted.
  static std::size_t size_of(const reclaim::node* n, unsigned k) noexcept {
    switch (k) {
      case kBox:
        return sizeof(box_type);
      case kEntry:
        return sizeof(entry_type);
      default:
        return sizeof(table_type) + table_type::array_bytes(static_cast<const table_type*>(n)->capacity());
    }
  }

  static std::unique_ptr<box_type> make_box(Value&& value) {
    return std::make_unique<box_type>(std::in_place, std::move(value));
  }

  static bool is_empty(const table_type* t) noexcept { return t == nullptr || t->empty(); }

  // Inline: on the read path it is the whole probe (table::find).
  template <class K>
  SYNCMAP_ALWAYS_INLINE static entry_type* find(const table_type* t, const K& key, std::size_t h) {
    return t == nullptr ? nullptr : t->find(key, h);
  }

  presence_gate::ticket ticket(const reclaim::section& s) { return {gate_, s.record(), mu_}; }

  // After a CAS that published `next`: the map owns the new box now, and the
  // box it replaced (if any) is retired. Returns the replaced box.
  const box_type* swapped_in(const reclaim::section& s, std::unique_ptr<box_type>& next, box_type* replaced) {
    (void)next.release();  // the entry's CAS published it
    // The analyzer does not see that CAS store the released box into the entry.
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.NewDeleteLeaks,clang-analyzer-unix.Malloc)
    return retired(s, replaced);
  }

  // After a compare-and-swap: `replaced` is null if nothing was swapped (and
  // `next`, if made, is freed with its owner). Returns whether it swapped.
  bool swapped_in_if(const reclaim::section& s, std::unique_ptr<box_type>& next, box_type* replaced) {
    if (replaced == nullptr) return false;
    swapped_in(s, next, replaced);
    return true;
  }

  const box_type* retired(const reclaim::section& s, box_type* b) {
    if (b != nullptr) reclaim::retire(s, owner_, b, kBox);
    return b;
  }

  // Go's `m.loadReadOnly()` then `for k, e := range read.m` for the key:
  // the entry for key, from the snapshot, or from dirty_ under the mutex
  // (counting a miss) if the snapshot is amended. nullptr if absent.
  template <class K>
  // Call inside a read section, which keeps the returned entry alive.
  SYNCMAP_ALWAYS_INLINE entry_type* find_entry(const K& key, std::size_t h) {
    const auto r = read_.load();
    SYNCMAP_SCHEDULE_POINT(snapshot_loaded);
    entry_type* e = find(r.table, key, h);
    if (e == nullptr && r.amended) e = find_entry_slow(key, h);
    return e;
  }

  // find_entry()'s path under the mutex, out of line so that the lock-free
  // path stays small enough to inline. It opens a nested section of its own
  // for what a promotion retires, rather than taking the caller's: a section
  // whose address reaches an out-of-line call must live in memory, and the
  // load hit would pay for that on every call.
  template <class K>
  SYNCMAP_NOINLINE entry_type* find_entry_slow(const K& key, std::size_t h) {
    const reclaim::section s;
    std::lock_guard<std::mutex> lock(mu_);
    SYNCMAP_SCHEDULE_POINT(mutex_acquired);
    const auto r = read_.load_locked();
    entry_type* e = find(r.table, key, h);
    if (e == nullptr && r.amended) {
      e = find(dirty_, key, h);
      miss_locked(s);
    }
    return e;
  }

  // Go's `if e.unexpungeLocked() { m.dirty[key] = e }`, reordered so that
  // what can throw comes first: room in dirty_ (std::bad_alloc leaves the
  // entry expunged and the map unchanged), then the insertion and the
  // un-expunge, which cannot fail. An expunged entry implies that dirty_
  // exists, and only the mutex holder moves an entry out of expunged.
  void unexpunge_if_needed_locked(entry_type* e) {
    if (e->state() != entry_type::expunged()) return;
    dirty_->reserve_more(1);
    dirty_->insert_reserved(e);
    SYNCMAP_SCHEDULE_POINT(unexpunge);
    e->unexpunge_locked();
  }

  // Adds a new key to dirty_, with the box in `next`, which it takes and
  // returns. Go: `if !read.amended { m.dirtyLocked(); m.read.Store(amended) };
  // m.dirty[key] = newEntry(value)`. Strong exception guarantee: everything
  // that can throw comes before the first visible change (a dirty_ built by
  // dirty_locked() holds the same keys as the snapshot: not a visible change).
  box_type* insert_new_locked(std::size_t h, const Key& key, std::unique_ptr<box_type>& next,
                              typename snapshot_ptr<table_type>::view r) {
    auto e = std::make_unique<entry_type>(h, key, next.get());
    dirty_locked();
    dirty_->reserve_more(1);
    dirty_->insert_reserved(e.release());
    SYNCMAP_SCHEDULE_POINT(new_key_inserted);
    if (!r.amended) read_.store_locked(r.table, true);
    return next.release();
  }

  // Go's dirtyLocked: if dirty_ does not exist, builds it from the snapshot,
  // expunging the nil entries (chained through node::link in expunged_, for
  // the next promotion).
  void dirty_locked() {
    if (dirty_ != nullptr) return;
    const auto r = read_.load_locked();
    // Room for every snapshot entry plus the new key. May throw; then
    // nothing changed.
    auto d = std::make_unique<table_type>((r.table == nullptr ? 0 : r.table->size()) + 1, equal_);
    entry_type* chain = nullptr;
    if (r.table != nullptr) {
      r.table->for_each_prefetched([&](entry_type* e) {
        SYNCMAP_SCHEDULE_POINT(rebuild_step);
        if (e->try_expunge_locked()) {
          e->link = chain;
          chain = e;
        } else {
          d->insert_reserved(e);
        }
      });
    }
    dirty_ = d.release();
    expunged_ = chain;
    dirty_deleted_ = 0;
  }

  // Go's missLocked: promotes dirty_ once the misses reach its size.
  void miss_locked(const reclaim::section& s) {
    ++misses_;
    const std::size_t entries = dirty_->size();
    if (misses_ < entries - std::min(dirty_deleted_, entries)) return;
    promote_locked(s);
  }

  // dirty_ becomes the snapshot. The old snapshot and the entries only it
  // held (those still expunged) can no longer be found: retire them.
  void promote_locked(const reclaim::section& s) {
    table_type* const old = read_.load_locked().table;
    SYNCMAP_SCHEDULE_POINT(promote_before_publish);
    read_.store_locked(dirty_, false);
    SYNCMAP_SCHEDULE_POINT(promote_after_publish);
    dirty_ = nullptr;
    misses_ = 0;
    for (entry_type* e = expunged_; e != nullptr;) {
      entry_type* const next = static_cast<entry_type*>(e->link);
      if (e->state() == entry_type::expunged()) reclaim::retire(s, owner_, e, kEntry);
      e = next;
    }
    expunged_ = nullptr;
    if (old != nullptr) reclaim::retire(s, owner_, old, kTable);
  }

  // Owns every retired node of this map. Declared first so that it is
  // destroyed last, draining after the destructor body freed the live ones.
  static constexpr reclaim::owner::ops kOwnerOps{&dispose, &size_of};
  reclaim::owner owner_{kOwnerOps};

  // The snapshot: loaded (acquire) by every operation, stored only under mu_.
  snapshot_ptr<table_type> read_;

  // Closed only by size()/empty() while they hold mu_.
  presence_gate gate_;

  // Guards dirty_, expunged_, misses_, and every store to read_.
  std::mutex mu_;

  // Guarded by mu_. Null, or a table holding every non-expunged entry of the
  // snapshot plus the entries of keys the snapshot lacks (then read_ is
  // amended). Every live key is in it when it exists.
  table_type* dirty_ = nullptr;

  // Guarded by mu_. Entries expunged by the last dirty_locked(), chained
  // through node::link; those still expunged when dirty_ is promoted are in
  // no table any more and are retired then. Reset by promotion and clear().
  entry_type* expunged_ = nullptr;

  // Guarded by mu_. Lookups that had to lock since the last promotion.
  std::size_t misses_ = 0;

  // Guarded by mu_. Entries of dirty_ that load_and_delete() found only
  // there and deleted since dirty_ was built: Go removes such keys from its
  // dirty map, so they do not count toward promotion (miss_locked()).
  std::size_t dirty_deleted_ = 0;

  // Immutable. Copied into every table.
  const hasher_type hasher_;
  const equal_type equal_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_MAP_CORE_HPP_
