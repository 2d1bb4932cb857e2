/*
 * syncmap.pml -- a Promela model of syncmap's protocol: the entry state
 * machine (VALUE / NIL / EXPUNGED), the atomic (table, amended) snapshot
 * read_, the mutex-protected dirty_ table, misses and promotion
 * (miss_locked / promote_locked), and the rebuild of dirty_ that expunges
 * nil entries (dirty_locked).  Checked exhaustively by SPIN; see README.md
 * and ./check.
 *
 * It mirrors, step by step:
 *   include/syncmap/detail/entry.hpp     entry::state, commit, try_swap,
 *                                        try_load_or_store,
 *                                        try_compare_and_swap, try_delete,
 *                                        try_expunge_locked, unexpunge_locked
 *   include/syncmap/detail/map_core.hpp  swap (store), load_or_store,
 *                                        load_and_delete, compare_and_swap,
 *                                        compare_and_delete, visit/find_entry
 *                                        (load), range, clear, dirty_locked,
 *                                        miss_locked, promote_locked,
 *                                        insert_new_locked,
 *                                        unexpunge_if_needed_locked
 *
 * Granularity.  Every separate atomic access of the C++ code (a load of
 * read_, a load of an entry's p_, a CAS of p_, a store of read_) is a
 * separate Promela step, so every interleaving between e.g. "load the entry
 * state" and "CAS the entry state" exists in the model.  Inside the mutex,
 * statements are grouped into one step only when that hides no interleaving
 * with lock-free code (lock-free code never reads dirty_, misses_ or the
 * expunged_ chain, and cannot move an entry into or out of EXPUNGED); entry
 * state loads and CASes made under the mutex stay separate steps because
 * lock-free CASes can interleave with them.
 *
 * Abstractions (README.md says why each is sound, and which oracle covers
 * what is left out):
 *   - memory reclamation (EBR) is abstracted to ghost "retired" bits: the
 *     model checks that nothing reachable from read_ or dirty_ is retired,
 *     that nothing is retired twice, and that nothing dropped leaks.
 *     Lock-free threads may keep using retired nodes, as the EBR read
 *     section allows; when EBR frees them is reclaim.hpp's business.
 *   - the presence gate (size()/empty()) is left out: commit() passes it
 *     with t.enter()/t.leave(), which only delays a CAS while size() holds
 *     the mutex; no size() call runs in the model.
 *   - memory ordering: all accesses are sequentially consistent (the CASes
 *     and read_ stores are seq_cst in the C++; relaxed/acquire loads are
 *     modelled as SC loads).  ThreadSanitizer and the runtime
 *     linearizability checker cover the C++ memory model.
 *   - hashing: a table is one entry slot per key (keys 0 and 1); the
 *     hash table and its growth (table.hpp, reserve_more) are not modelled.
 *   - exceptions, observe()/before_store() callbacks: not modelled.
 *   - compare_exchange_weak's spurious failure (try_expunge_locked) is not
 *     modelled: it only repeats the loop with the same p.
 *
 * Build switches: -DSCENARIO=n picks the scenario (see the end of the file),
 * -DONLY=P_x asserts only property P_x (used for the mutants), and
 * -DMUTANT_x turns on one of the seeded slips (never in the normal run).
 */

#ifndef SCENARIO
#define SCENARIO 1
#endif
#ifndef ONLY
#define ONLY 0
#endif
#ifndef NOPS
#define NOPS 2          /* operations per churn process */
#endif

/* ------------------------------------------------------------------ */
/* Sizes.                                                              */
/* ------------------------------------------------------------------ */
#define NK 2            /* keys 0 and 1                                 */
#define NE 7            /* entries 1..NE-1; 0 is nullptr                */
#define NT 6            /* tables 1..NT-1; 0 is nullptr (always empty)  */
#define NB 31           /* box ids 1..30; 0 is nullptr                  */
#define NP 5            /* _pid 0 init, 1 monitor, 2..4 the workers     */

/* ------------------------------------------------------------------ */
/* The entry state (entry::p_), as in entry.hpp:                       */
/*   VALUE     a box id 1..30 (p_ points to a box)                     */
/*   NIL       0   (p_ == nullptr: deleted)                            */
/*   EXPUNGED  255 (p_ == entry::expunged(): deleted, not in dirty_)   */
/* ------------------------------------------------------------------ */
#define NIL       0
#define EXPUNGED  255
#define holds_value(x)  ((x) != NIL && (x) != EXPUNGED)     /* entry::holds_value: VALUE */
#define NORM(x)         (holds_value(x) -> (x) : 0)         /* abstract value: box id or 0 = absent */

/* ------------------------------------------------------------------ */
/* Properties.  Each assertion names its property: SPIN prints         */
/* "assertion violated <name>".  -DONLY=P_x keeps only property P_x.   */
/* ------------------------------------------------------------------ */
#define P_LIN   1   /* linearizable          */
#define P_NLS   2   /* no_lost_store         */
#define P_END   3   /* expunged_not_in_dirty */
#define P_SID   4   /* snapshot_in_dirty     */
#define P_NVAE  5   /* no_value_after_expunge*/
#define P_EXPM  6   /* expunged_only_under_mu*/
#define P_LOS   7   /* load_or_store_agree   */
#define P_PROM  8   /* promotion_preserves   */
#define P_RET   9   /* retire_unreachable    */
#define P_IMM  10   /* tables_immutable      */
#define P_CNT  11   /* counter_exact         */
#define P_NULL 12   /* no_null_dirty         */
#define P_ONCE 13   /* retire_exactly_once   */

hidden byte linearizable, no_lost_store, expunged_not_in_dirty, snapshot_in_dirty,
            no_value_after_expunge, expunged_only_under_mu, load_or_store_agree,
            promotion_preserves, retire_unreachable, tables_immutable,
            counter_exact, no_null_dirty, retire_exactly_once, model_bound;

#define PROP(name, id, c)  name = ((ONLY != 0 && ONLY != (id)) || (c)); assert(name)

/* ------------------------------------------------------------------ */
/* Shared state.                                                       */
/* ------------------------------------------------------------------ */
byte ep[NE];          /* entry::p_  (atomic)                            */
byte ekey[NE];        /* entry::key_ (immutable)                        */
byte tbl[NT*NK];      /* table: tbl[t*NK+k] = entry of key k in table t  */
byte rd_t;            /* read_: the table ...                           */
bit  rd_am;           /* ... and the amended bit, one atomic word        */
byte dirty;           /* map_core::dirty_ (mu_ only)                     */
byte misses;          /* map_core::misses_ (mu_ only)                    */
byte ddel;            /* map_core::dirty_deleted_ (mu_ only)             */
bit  chained[NE];     /* map_core::expunged_ chain membership (mu_ only) */
byte mu;              /* map_core::mu_: 0 free, else holder's _pid+1     */
byte nexte = 1;       /* next fresh entry id (make_unique<entry_type>)   */
byte nextt = 1;       /* next fresh table id (make_unique<table_type>)   */

/* Ghost state (not in the C++). */
byte G[NK];           /* the sequential map: key -> box id, 0 = absent   */
byte bval[NB];        /* box::value (immutable once published)           */
bit  published[NT];   /* the table was stored to read_ (now immutable)   */
bit  retired[NE];     /* reclaim::retire(entry) was called               */
bit  tretired[NT];    /* reclaim::retire(table) was called               */
bit  orphan[NE];      /* dropped from every table by clear()             */
bit  was_exp[NE];     /* expunged by dirty_locked since the last promotion */
bit  busy[NP];        /* the process is inside an operation              */
int  seen[NP*NK];     /* per process and key: the set (bitmask) of values
                         G[k] took while the current operation ran        */
byte los_st[NP];      /* results of the load_or_store scenario           */
byte los_box[NP];

/* Entry-of-key lookups. */
#define SNAP(k)   tbl[rd_t*NK + (k)]          /* find(read_.table, k)   */
#define DIRT(k)   tbl[dirty*NK + (k)]         /* find(dirty_, k)        */
#define TSIZE(t)  ((tbl[(t)*NK] != 0) + (tbl[(t)*NK+1] != 0))  /* set.size() */
/* The entry a key's value lives in: the snapshot's (authoritative,
   design.md invariant 4), else dirty_'s if the snapshot is amended. */
#define AUTH(k)   (SNAP(k) != 0 -> SNAP(k) : (rd_am -> DIRT(k) : 0))
/* The abstraction function: the map's contents as the C++ defines them. */
#define ABS(k)    (AUTH(k) != 0 -> NORM(ep[AUTH(k)]) : 0)

/* Was value x (a box id or NIL/EXPUNGED = absent) the value of key k at
   some instant of the running operation? */
#define SEEN(k, x) ((seen[_pid*NK + (k)] >> NORM(x)) & 1)

/* Box ids: fresh per operation, so that a CAS on box ids is ABA-free as
   in the C++ (a box is not reused while a thread can still hold it). */
#define BOX(pid, n)  (((pid) - 2) * 8 + (n) + 1)     /* 1..24 (workers are _pid 2..4) */
#define IB0  25     /* the initial box of key 0 */
#define IB1  26     /* the initial box of key 1 */
#define IBZ  27     /* counter scenario: value 0 */

/* Operation codes. */
#define S_LOADED   1
#define S_STORED   2
#define S_EXPUNGED 3

#define OP_SWAP   1
#define OP_LOS    2
#define OP_LAD    4
#define OP_CAS    8
#define OP_CAD   16
#define OP_LOAD  32
#define OP_RANGE 64
#define OP_CLEAR 128
#define OPS_ALL  127          /* everything but clear */

/* Process-local variables every operation uses (inlines share them). */
#define LOCALS \
  byte r_t, e, p, res, st, d, i, x, ne, ot, old, pre0, pre1, ci; \
  bit r_am, ok, swapped, done, er

/* ------------------------------------------------------------------ */
/* Ghost bookkeeping.                                                  */
/* ------------------------------------------------------------------ */

/* G[k] := v at a linearization point; every running operation records
   that key k held v during it.  (A macro: inline arguments cannot be
   conditional expressions.) */
#define ghost_set(k, v) \
  G[k] = (v); \
  seen[0*NK + (k)] = seen[0*NK + (k)] | (busy[0] << (v)); \
  seen[1*NK + (k)] = seen[1*NK + (k)] | (busy[1] << (v)); \
  seen[2*NK + (k)] = seen[2*NK + (k)] | (busy[2] << (v)); \
  seen[3*NK + (k)] = seen[3*NK + (k)] | (busy[3] << (v)); \
  seen[4*NK + (k)] = seen[4*NK + (k)] | (busy[4] << (v))

inline op_begin() {
  busy[_pid] = 1;
  seen[_pid*NK + 0] = 1 << G[0];
  seen[_pid*NK + 1] = 1 << G[1]
}

/* The operation returned: forget its ghost and local state (so that
   states differing only in dead values are not told apart). */
inline op_done() {
  busy[_pid] = 0; seen[_pid*NK + 0] = 0; seen[_pid*NK + 1] = 0;
  r_t = 0; r_am = 0; e = 0; p = 0; res = 0; st = 0; d = 0; i = 0; x = 0; old = 0;
  ok = 0; swapped = 0; done = 0; er = 0
}

inline op_end() {
  d_step { op_done() }
}

/* linearizable (reads): an operation whose result comes from a read (not
   from its own CAS) must return a value the key held at some instant while
   the operation ran.  Entries orphaned by clear() are exempt: operations
   finishing on them linearize just before that clear() (design.md §3). */
inline observed(e, k, x) {
  PROP(linearizable, P_LIN, orphan[e] || SEEN(k, x))
}

/* The invariants.  The monitor process (at the end of the file) asserts
   each of them in every reachable state. */

/* linearizable: the map's contents (the abstraction function ABS over the
   concrete state) equal the sequential model G in every state.  So no step
   but an operation's linearization point changes the map, and each of
   those changes it as the sequential map would. */
#define INV_LIN   (ABS(0) == G[0] && ABS(1) == G[1])

/* no_value_after_expunge: an entry expunged by the last rebuild that is
   not EXPUNGED any more (it holds a value or nil again) is in dirty_. */
#define NVAE(x)   (!was_exp[x] || ep[x] == EXPUNGED || (dirty != 0 && DIRT(ekey[x]) == (x)))
#define INV_NVAE  (NVAE(1) && NVAE(2) && NVAE(3) && NVAE(4) && NVAE(5) && NVAE(6))

/* retire_unreachable: nothing reachable from read_ or dirty_ was retired,
   so EBR frees only what no new reader can find. */
#define INV_RET   (!retired[SNAP(0)] && !retired[SNAP(1)] && !retired[DIRT(0)] && \
                   !retired[DIRT(1)] && !tretired[rd_t] && !tretired[dirty])

/* The next two hold whenever the mutex is free: dirty_ belongs to the
   mutex holder, who legitimately passes through states that break them
   (dirty_locked expunges entries before it publishes the new dirty_;
   unexpunge_if_needed_locked inserts the entry before it un-expunges it).
   Lock-free code never reads dirty_ and cannot enter or leave EXPUNGED. */

/* expunged_not_in_dirty (design.md invariant 3): no entry of dirty_ is
   EXPUNGED, and an EXPUNGED entry of the snapshot implies dirty_ exists. */
#define INV_END   (mu != 0 || \
                   ((DIRT(0) == 0 || ep[DIRT(0)] != EXPUNGED) && \
                    (DIRT(1) == 0 || ep[DIRT(1)] != EXPUNGED) && \
                    (SNAP(0) == 0 || ep[SNAP(0)] != EXPUNGED || dirty != 0) && \
                    (SNAP(1) == 0 || ep[SNAP(1)] != EXPUNGED || dirty != 0)))

/* snapshot_in_dirty (Go's invariant, design.md invariant 2): if dirty_
   exists, every non-expunged entry of the snapshot is in it and dirty_ has
   no other entry for a key the snapshot has (the snapshot's entry is
   authoritative, invariant 4); amended <=> dirty_ exists and has a key the
   snapshot lacks. */
#define SID(k)    (dirty == 0 || SNAP(k) == 0 || \
                   (ep[SNAP(k)] == EXPUNGED -> DIRT(k) == 0 : DIRT(k) == SNAP(k)))
#define INV_SID   (mu != 0 || \
                   (SID(0) && SID(1) && \
                    rd_am == (dirty != 0 && ((DIRT(0) != 0 && SNAP(0) == 0) || \
                                             (DIRT(1) != 0 && SNAP(1) == 0)))))

/* reclaim::retire of an entry / a table.  retire_exactly_once: nothing
   is retired twice (a double free once EBR frees it). */
inline retire_entry(x) {
  PROP(retire_exactly_once, P_ONCE, !retired[x]);
  retired[x] = 1
}
inline retire_table(t) {
  PROP(retire_exactly_once, P_ONCE, t == 0 || !tretired[t]);
  tretired[t] = (t != 0)
}

/* retire_exactly_once, at the end of a scenario (every worker done): the
   map is destroyed, and ~map_core frees what is still reachable -- the
   snapshot's entries if there is no dirty_, else its EXPUNGED ones, and
   every entry of dirty_, plus both tables.  Every entry and table ever made
   must be freed exactly once: by that destructor, or by EBR after its one
   retire (no leak, no double free). */
#define DTOR_FREES_E(x) ((tbl[rd_t*NK + ekey[x]] == (x) && (dirty == 0 || ep[x] == EXPUNGED)) + \
                         (tbl[dirty*NK + ekey[x]] == (x)))
#define DTOR_FREES_T(t) (((t) == rd_t) + ((t) == dirty))
inline check_no_leak() {
  d_step {
    ci = 1;
    do
    :: ci < nexte ->
       PROP(retire_exactly_once, P_ONCE, retired[ci] + DTOR_FREES_E(ci) == 1); ci++
    :: else -> break
    od;
    ci = 1;
    do
    :: ci < nextt ->
       PROP(retire_exactly_once, P_ONCE, tretired[ci] + DTOR_FREES_T(ci) == 1); ci++
    :: else -> break
    od;
    ci = 0
  }
}

/* A table insert (table::insert_reserved): tables_immutable -- a table
   published as the snapshot is never modified again (invariant 1). */
inline table_insert(t, e) {
  PROP(no_null_dirty, P_NULL, t != 0);
  PROP(tables_immutable, P_IMM, !published[t]);
  tbl[t*NK + ekey[e]] = e
}

/* ------------------------------------------------------------------ */
/* The mutex mu_.                                                      */
/* ------------------------------------------------------------------ */

/* std::lock_guard<std::mutex> lock(mu_); r = read_.load_locked();
   e = find(r.table, key, h);  -- read_ is stored only under mu_, so its
   relaxed reload and the lookup in the immutable table go with the lock. */
inline lock_reload(k) {
  d_step { mu == 0 -> mu = _pid + 1; r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }
}

inline lock_mu() {
  d_step { mu == 0 -> mu = _pid + 1 }
}

/* ~lock_guard */
inline unlock_mu() {
  d_step { mu = 0 }
}

/* ------------------------------------------------------------------ */
/* entry.hpp                                                           */
/* ------------------------------------------------------------------ */

/* entry::commit -- the single seq_cst CAS through which every lock-free
   state change goes (t.enter()/t.leave(), the presence gate, abstracted
   away).  On failure `expected` is reloaded.  This is the linearization
   point of every successful lock-free write. */
inline commit(e, expected, desired) {
#ifndef MUTANT_COMMIT_NOT_ATOMIC
  d_step {
    /* expunged_only_under_mu: no lock-free CAS ever leaves EXPUNGED
       (only the mutex holder may, in unexpunge_locked). */
    PROP(expunged_only_under_mu, P_EXPM, expected != EXPUNGED && desired != EXPUNGED);
    if
    :: ep[e] == expected ->                       /* p_.compare_exchange_strong */
       ep[e] = desired; ok = 1;
       if
       :: !orphan[e] ->
          /* linearizable: the CAS replaces exactly the sequential
             model's current value of the key. */
          PROP(linearizable, P_LIN, G[ekey[e]] == NORM(expected));
          ghost_set(ekey[e], NORM(desired))
       :: else
       fi
#ifndef MUTANT_CAS_NO_RELOAD
    :: else -> expected = ep[e]; ok = 0             /* on failure, expected is reloaded */
#else
    /* MUTANT_CAS_NO_RELOAD: a failed CAS does not reload `expected` (as
       if compare_exchange's first argument were a copy), so the retry
       loops spin on a stale value forever. */
    :: else -> ok = 0
#endif
    fi
  }
#else
  /* MUTANT_COMMIT_NOT_ATOMIC: "if (p_.load() == expected) p_.store(desired)"
     -- a load and a store where a CAS is needed. */
  d_step { ok = (ep[e] == expected); if :: !ok -> expected = ep[e] :: else fi }
  if
  :: ok ->
     d_step {
       ep[e] = desired;
       if
       :: !orphan[e] ->
          PROP(linearizable, P_LIN, G[ekey[e]] == NORM(expected));
          ghost_set(ekey[e], NORM(desired))
       :: else
       fi
     }
  :: else
  fi
#endif
}

/* entry::try_swap -- Go's trySwap (and swapLocked, under mu_, on an entry
   known not to be expunged).  Result: swapped, and p = the replaced state. */
inline try_swap(e, desired) {
  d_step { p = ep[e] }                            /* box_type* p = state(); */
  do
#ifndef MUTANT_SWAP_NO_EXPUNGED_CHECK
  :: p == EXPUNGED -> swapped = 0; break          /* if (p == expunged()) return {false, nullptr}; */
#else
  /* MUTANT_SWAP_NO_EXPUNGED_CHECK: the store fast path forgets the
     expunged check and CASes over EXPUNGED. */
#endif
  :: else ->                                      /* observe(p); */
     commit(e, p, desired);                       /* if (commit(p, desired, t)) return {true, p}; */
     if
     :: ok -> swapped = 1; break
     :: else
     fi
  od;
  skip                                            /* (a break target outside any d_step) */
}

/* entry::try_load_or_store -- Go's tryLoadOrStore.  Result: st (S_LOADED,
   S_STORED, S_EXPUNGED) and res (the loaded or the stored box). */
inline try_load_or_store(e, k, desired) {
  d_step { p = ep[e] }                            /* box_type* p = state(); */
  if
  :: p == EXPUNGED -> st = S_EXPUNGED             /* return {expunged, nullptr}; */
  :: holds_value(p) ->                            /* return {loaded, p}; */
     d_step { st = S_LOADED; res = p; observed(e, k, p) }
  :: p == NIL ->                                  /* desired = make(); */
     do
     :: commit(e, p, desired);                    /* if (commit(p, desired, t)) return {stored, desired}; */
        if
        :: ok -> st = S_STORED; res = desired; break
        :: !ok && p == EXPUNGED -> st = S_EXPUNGED; break
        :: !ok && holds_value(p) ->
           d_step { st = S_LOADED; res = p; observed(e, k, p) }; break
        :: !ok && p == NIL -> skip
        fi
     od;
     skip                                            /* (a break target outside any d_step) */
  fi
}

/* entry::try_compare_and_swap -- Go's tryCompareAndSwap.  res = the
   replaced box, or 0 if no present value matched `old`. */
inline try_compare_and_swap(e, k, old, desired) {
  d_step { p = ep[e] }                            /* box_type* p = state(); */
  if
  :: !holds_value(p) || bval[p] != old ->         /* return nullptr; */
     d_step { res = 0; observed(e, k, p) }
  :: else ->                                      /* desired = make(); */
     do
     :: commit(e, p, desired);                    /* if (commit(p, desired, t)) return p; */
        if
        :: ok -> res = p; break
        :: !ok && (!holds_value(p) || bval[p] != old) ->
           d_step { res = 0; observed(e, k, p) }; break
        :: else
        fi
     od;
     skip                                            /* (a break target outside any d_step) */
  fi
}

/* entry::try_delete -- Go's delete and the loop of CompareAndDelete.
   `old` == 0 accepts any value (load_and_delete); otherwise accept(box) is
   box->value == old (compare_and_delete).  res = the removed box or 0. */
inline try_delete(e, k, old) {
  d_step { p = ep[e] }                            /* box_type* p = state(); */
  do
  :: !holds_value(p) || (old != 0 && bval[p] != old) ->
     d_step { res = 0; observed(e, k, p) }; break /* return nullptr; */
  :: else ->
     commit(e, p, NIL);                           /* if (commit(p, nullptr, t)) return p; */
     if
     :: ok -> res = p; break
     :: else
     fi
  od;
  skip                                            /* (a break target outside any d_step) */
}

/* entry::try_expunge_locked -- Go's tryExpungeLocked: NIL -> EXPUNGED,
   under mu_, while dirty_locked() builds a new dirty_.  er = expunged. */
inline try_expunge_locked(e) {
  d_step {
    PROP(expunged_only_under_mu, P_EXPM, mu == _pid + 1);
    p = ep[e]; er = 0                             /* p = p_.load(relaxed); */
  }
#ifndef MUTANT_EXPUNGE_NOT_CAS
  do
  :: p == NIL ->                                  /* while (p == nullptr) */
     d_step {                                     /* p_.compare_exchange_weak(p, expunged()) */
       if
       :: ep[e] == p -> ep[e] = EXPUNGED; er = 1; was_exp[e] = 1
       :: else -> p = ep[e]
       fi
     };
     if
     :: er -> break                               /* return true; */
     :: else
     fi
  :: else -> er = (p == EXPUNGED); break          /* return p == expunged(); */
  od;
  skip                                            /* (a break target outside any d_step) */
#else
  /* MUTANT_EXPUNGE_NOT_CAS: "if (p == nullptr) p_.store(expunged())" --
     a plain store after the load, so a lock-free store that revives the
     entry in between is overwritten. */
  if
  :: p == NIL ->
     d_step { ep[e] = EXPUNGED; er = 1; was_exp[e] = 1 }
  :: else -> er = (p == EXPUNGED)
  fi
#endif
}

/* entry::unexpunge_locked -- Go's unexpungeLocked: EXPUNGED -> NIL, under
   mu_, after the caller put the entry into dirty_. */
inline unexpunge_locked(e) {
  d_step {                                        /* p_.compare_exchange_strong(expunged(), nullptr) */
    PROP(expunged_only_under_mu, P_EXPM, mu == _pid + 1);
    if
    :: ep[e] == EXPUNGED -> ep[e] = NIL
    :: else
    fi
  }
}

/* ------------------------------------------------------------------ */
/* map_core.hpp: the locked helpers.                                   */
/* ------------------------------------------------------------------ */

/* map_core::unexpunge_if_needed_locked */
inline unexpunge_if_needed_locked(e) {
  d_step { p = ep[e] }                            /* if (e->state() != expunged()) return; */
  if
  :: p == EXPUNGED ->
#ifndef MUTANT_UNEXPUNGE_NO_INSERT
     d_step { table_insert(dirty, e) };           /* dirty_->reserve_more(1); dirty_->insert_reserved(e); */
#else
     /* MUTANT_UNEXPUNGE_NO_INSERT: un-expunges without re-inserting the
        entry into dirty_. */
#endif
     unexpunge_locked(e)                          /* e->unexpunge_locked(); */
  :: else
  fi
}

/* map_core::promote_locked -- dirty_ becomes the snapshot.  One step (the
   callers wrap it in a d_step): the store of read_ is the only access
   lock-free code sees, and the expunged state of the chained entries is
   stable under mu_. */
inline promote_locked() {
    pre0 = ABS(0); pre1 = ABS(1);
    ot = rd_t;                                    /* old = read_.load_locked().table; */
#ifndef MUTANT_PROMOTE_KEEPS_AMENDED
    rd_t = dirty; rd_am = 0;                      /* read_.store_locked(dirty_, false); */
#else
    /* MUTANT_PROMOTE_KEEPS_AMENDED: publishes dirty_ but leaves amended set. */
    rd_t = dirty; rd_am = 1;
#endif
    published[dirty] = 1;
#ifndef MUTANT_PROMOTE_NO_RESET
    dirty = 0;                                    /* dirty_ = nullptr; */
#else
    /* MUTANT_PROMOTE_NO_RESET: promotion forgets dirty_ = nullptr. */
#endif
    misses = 0;                                   /* misses_ = 0; */
    ci = 1;
    do                                            /* for (e = expunged_; e; e = next) */
    :: ci < NE ->
       if
#ifndef MUTANT_REBUILD_KEEPS_NIL
       :: chained[ci] && ep[ci] == EXPUNGED ->    /* if (e->state() == expunged()) retire(e) */
#else
       :: chained[ci] && !holds_value(ep[ci]) ->  /* (mutant: frees the chained nil entries) */
#endif
          retire_entry(ci)
       :: else
       fi;
       chained[ci] = 0; was_exp[ci] = 0;
       ci++
    :: else -> break
    od;
    ci = 0;                                       /* expunged_ = nullptr; */
    retire_table(ot);                             /* if (old != nullptr) retire(old) */
    ot = 0;
    /* promotion_preserves: every key keeps its value across the promotion,
       and it is now in the new snapshot with that value (with amended
       clear, ABS reads the snapshot only); dirty_ is reset. */
    PROP(promotion_preserves, P_PROM,
         ABS(0) == pre0 && ABS(1) == pre1 && dirty == 0 && !rd_am &&
         (pre0 == 0 || ep[SNAP(0)] == pre0) && (pre1 == 0 || ep[SNAP(1)] == pre1));
    pre0 = 0; pre1 = 0
}

/* map_core::miss_locked -- Go's missLocked.  One step (mu_ held; the
   callers wrap it in a d_step). */
inline miss_locked() {
  PROP(no_null_dirty, P_NULL, dirty != 0);        /* dirty_->set.size() */
  misses++;                                       /* ++misses_; */
  if
  :: misses + (ddel < TSIZE(dirty) -> ddel : TSIZE(dirty)) < TSIZE(dirty) -> skip
                                                  /* if (misses_ < entries - min(dirty_deleted_, entries)) return; */
  :: else -> promote_locked()
  fi
}

/* map_core::dirty_locked -- Go's dirtyLocked: builds dirty_ from the
   snapshot, expunging nil entries (left out, chained in expunged_). */
inline dirty_locked() {
  if
  :: dirty != 0 -> skip                           /* if (dirty_ != nullptr) return; */
  :: else ->
     d_step {                                     /* r = read_.load_locked(); d = make_unique<table_type>(...) */
       d = nextt; nextt++;
       model_bound = (nextt <= NT); assert(model_bound);
       i = 0
     };
     do                                           /* for (entry_type* e : r.table->set) */
     :: i < NK ->
        d_step { x = tbl[rd_t*NK + i] };
        if
        :: x != 0 ->
#ifndef MUTANT_REBUILD_KEEPS_NIL
           try_expunge_locked(x);                 /* if (e->try_expunge_locked()) */
#else
           /* MUTANT_REBUILD_KEEPS_NIL: the rebuild copies nil entries into
              dirty_ without expunging them, yet chains them in expunged_,
              and promotion frees the chained entries that hold no value. */
           d_step { er = 0; if :: ep[x] == NIL -> chained[x] = 1 :: else fi };
#endif
           d_step {
#ifndef MUTANT_REBUILD_COPIES_EXPUNGED
             if
             :: er -> chained[x] = 1              /* e->link = chain; chain = e; */
             :: else -> table_insert(d, x)        /* else d->insert_reserved(e); */
             fi;
#else
             /* MUTANT_REBUILD_COPIES_EXPUNGED: the insert is outside the
                else -- expunged entries are copied into dirty_ too. */
             if
             :: er -> chained[x] = 1
             :: else
             fi;
             table_insert(d, x);
#endif
             x = 0; i++
           }
        :: else -> d_step { i++ }
        fi
     :: else -> break
     od;
     skip;
     d_step { dirty = d; d = 0; i = 0; ddel = 0 } /* dirty_ = d.release(); expunged_ = chain; dirty_deleted_ = 0; */
  fi
}

/* map_core::insert_new_locked -- a new key into dirty_ (rebuilding it
   first if needed), then amended.  The key becomes visible at the insert
   if the snapshot was already amended (lock-free readers then go to the
   mutex), otherwise at the store of amended: that step linearizes it. */
inline insert_new_locked(k, desired) {
  d_step {                                        /* auto e = make_unique<entry_type>(h, key, next.get()); */
    ne = nexte; nexte++;
    model_bound = (nexte <= NE); assert(model_bound);
    ekey[ne] = k; ep[ne] = desired
  };
  dirty_locked();                                 /* dirty_locked(); */
  d_step {                                        /* dirty_->reserve_more(1); dirty_->insert_reserved(e.release()); */
    table_insert(dirty, ne);
    if
    :: r_am ->                                    /* linearization point (snapshot already amended) */
       PROP(linearizable, P_LIN, G[k] == 0);
       ghost_set(k, desired)
    :: else
    fi
  };
#ifndef MUTANT_INSERT_NO_AMENDED
  if
  :: !r_am ->
     d_step {                                     /* if (!r.amended) read_.store_locked(r.table, true); */
       rd_t = r_t; rd_am = 1;                     /* linearization point */
       PROP(linearizable, P_LIN, G[k] == 0);
       ghost_set(k, desired)
     }
  :: else
  fi;
#else
  /* MUTANT_INSERT_NO_AMENDED: forgets to mark the snapshot amended (the
     ghost still records the store, as the caller believes it happened). */
  if
  :: !r_am -> d_step { ghost_set(k, desired) }
  :: else
  fi;
#endif
  ne = 0
}

/* ------------------------------------------------------------------ */
/* map_core.hpp: the operations.                                       */
/* ------------------------------------------------------------------ */

/* map_core::find_entry -- Go's loadReadOnly + lookup, then dirty_ under
   mu_ (counting a miss) if the snapshot is amended. */
inline find_entry(k) {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }   /* r = read_.load(); e = find(r.table, key, h); */
  if
  :: e == 0 && r_am ->
#ifndef MUTANT_LOAD_NO_RECHECK
     lock_reload(k);                              /* lock_guard; r = read_.load_locked(); e = find(r.table, ...) */
#else
     /* MUTANT_LOAD_NO_RECHECK: takes the mutex but does not look at read_
        again (broken double-checked locking). */
     lock_mu();
#endif
     if
     :: e == 0 && r_am ->
        d_step { e = DIRT(k); miss_locked() }     /* e = find(dirty_, key, h); miss_locked(s); */
     :: else
     fi;
     unlock_mu()
  :: else
  fi
}

/* map_core::visit -- Go's Load (sync_map::load, contains, visit):
   find_entry, then e->state(). */
inline visit(k) {
  find_entry(k);
  if
  :: e != 0 -> d_step { p = ep[e]; res = NORM(p); observed(e, k, p) }   /* p = e->state(); */
  :: else -> d_step { res = 0; observed(0, k, NIL) }
  fi
}

/* map_core::swap -- Go's Swap (store is swap ignoring the result).
   res = the replaced box (0 if the key was absent). */
inline swap(k, nb) {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }   /* next = make_box(value); r = read_.load(); find */
  if
  :: e != 0 ->
     try_swap(e, nb);                             /* const auto res = e->try_swap(next.get(), observe, t); */
     if
     :: swapped -> done = 1; res = NORM(p)        /* if (res.swapped) return swapped_in(s, next, res.previous); */
     :: else
     fi
  :: else
  fi;
  if
  :: !done ->
     lock_reload(k);                              /* lock_guard; r = read_.load_locked(); */
     if
     :: e != 0 ->                                 /* if (entry_type* e = find(r.table, key, h)) */
        unexpunge_if_needed_locked(e);
        try_swap(e, nb);                          /* cannot be expunged now */
        /* (expunged_not_in_dirty: under the mutex, after
           unexpunge_if_needed_locked, or for an entry of dirty_, the
           entry is never EXPUNGED -- the C++ relies on it.) */
        PROP(expunged_not_in_dirty, P_END, swapped);
        res = NORM(p)
     :: else ->
        d_step { e = DIRT(k) };                   /* if (entry_type* e = find(dirty_, key, h)) */
        if
        :: e != 0 ->
           try_swap(e, nb);
           PROP(expunged_not_in_dirty, P_END, swapped);
           res = NORM(p)
        :: else ->
           insert_new_locked(k, nb);              /* observe(nullptr); insert_new_locked(h, key, next, r); */
           res = 0
        fi
     fi;
     unlock_mu()
  :: else
  fi
}

/* map_core::load_or_store -- Go's LoadOrStore.  st = S_LOADED / S_STORED,
   res = the loaded or the stored box. */
inline load_or_store(k, nb) {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }   /* r = read_.load(); find */
  if
  :: e != 0 ->
     try_load_or_store(e, k, nb);
     if
     :: st == S_LOADED || st == S_STORED -> done = 1
     :: else
     fi
  :: else
  fi;
  if
  :: !done ->
     lock_reload(k);
     if
     :: e != 0 ->
        unexpunge_if_needed_locked(e);
        try_load_or_store(e, k, nb);
        PROP(expunged_not_in_dirty, P_END, st != S_EXPUNGED)
     :: else ->
        d_step { e = DIRT(k) };
        if
        :: e != 0 ->
           try_load_or_store(e, k, nb);
           PROP(expunged_not_in_dirty, P_END, st != S_EXPUNGED);
           d_step { miss_locked() }               /* miss_locked(s); */
        :: else ->                                /* make(); insert_new_locked(...) */
#ifdef MUTANT_LOS_UNLOCKED_INSERT
           /* MUTANT_LOS_UNLOCKED_INSERT: the check and the insert are made
              under two separate holds of the mutex. */
           unlock_mu();
           lock_mu();
#endif
           insert_new_locked(k, nb);
           st = S_STORED; res = nb
        fi
     fi;
     unlock_mu()
  :: else
  fi
}

/* map_core::load_and_delete (old == 0) and map_core::compare_and_delete
   (old != 0) -- Go's LoadAndDelete / CompareAndDelete.  The entry found in
   dirty_ stays there (nil after the CAS): design.md §7. */
inline load_and_delete(k, old) {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }   /* r = read_.load(); e = find(r.table, key, h); */
  if
  :: e == 0 && r_am ->
     lock_reload(k);
     if
     :: e == 0 && r_am ->
        d_step {
          e = DIRT(k);                            /* e = find(dirty_, key, h); */
          if
          :: e != 0 -> ddel++                     /* if (e != nullptr) ++dirty_deleted_; */
          :: else
          fi;
          miss_locked()                           /* miss_locked(s); */
        }
     :: else
     fi;
     unlock_mu()
  :: else
  fi;
  if
  :: e == 0 -> d_step { res = 0; observed(0, k, NIL) }       /* return nullptr / false */
  :: else -> try_delete(e, k, old)                           /* e->try_delete(accept, ticket(s)) */
  fi
}

/* map_core::compare_and_delete -- Go's CompareAndDelete: the same steps as
   load_and_delete, with accept(box) = (box->value == old). */
inline compare_and_delete(k, old) {
  load_and_delete(k, old)
}

/* map_core::compare_and_swap -- Go's CompareAndSwap.  res = replaced box
   (success) or 0. */
inline compare_and_swap(k, old, nb) {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am; e = tbl[r_t*NK + k] }   /* r = read_.load(); find */
  if
  :: e != 0 -> try_compare_and_swap(e, k, old, nb)
  :: e == 0 && !r_am -> d_step { res = 0; observed(0, k, NIL) }   /* if (!r.amended) return false; */
  :: e == 0 && r_am ->
     lock_reload(k);
     if
     :: e != 0 -> try_compare_and_swap(e, k, old, nb)
     :: else ->
        d_step { e = DIRT(k) };
        if
        :: e != 0 ->
           try_compare_and_swap(e, k, old, nb);
           d_step { miss_locked() }               /* miss_locked(s); */
        :: else -> d_step { res = 0; observed(0, k, NIL) }
        fi
     fi;
     unlock_mu()
  fi
}

/* map_core::range -- Go's Range: promote first if amended, then read each
   entry of the (immutable) snapshot table.  range() is not linearizable as
   a whole; each key's report must be a value the key had during the call
   (or its absence, an instant of absence). */
inline range() {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am }             /* r = read_.load(); */
  if
  :: r_am ->
     d_step { mu == 0 -> mu = _pid + 1; r_t = rd_t; r_am = rd_am };   /* lock_guard; r = read_.load_locked(); */
     if
     :: r_am ->
        d_step { promote_locked(); r_t = rd_t; r_am = rd_am }   /* promote_locked(s); r = read_.load_locked(); */
     :: else
     fi;
     unlock_mu()
  :: else
  fi;
  i = 0;
  do                                              /* for (e : r.table->set) */
  :: i < NK ->
     d_step { e = tbl[r_t*NK + i] };
     if
     :: e != 0 -> d_step { p = ep[e]; observed(e, i, p) }   /* p = e->state(); f(key, value) if holds_value */
     :: else -> d_step { observed(0, i, NIL) }
     fi;
     d_step { i++ }
  :: else -> break
  od;
  skip
}

/* map_core::clear -- Go 1.23's Clear: publish an empty snapshot, retire
   the old entries, empty dirty_ in place.  The linearization point is the
   store of read_; every entry of the old tables becomes an orphan. */
inline clear() {
  d_step { op_begin(); r_t = rd_t; r_am = rd_am }             /* r = read_.load(); */
  if
  :: TSIZE(r_t) == 0 && !r_am -> skip             /* if (is_empty(r.table) && !r.amended) return; */
  :: else ->
     lock_mu();
     d_step {
       r_t = rd_t; r_am = rd_am;                  /* r = read_.load_locked(); */
       if
       :: TSIZE(r_t) != 0 || r_am ->
          rd_t = 0; rd_am = 0;                    /* read_.store_locked(nullptr, false); */
          ci = 0;
          do
          :: ci < NK ->
             x = tbl[r_t*NK + ci];
             if
             :: x != 0 ->
                if
#ifndef MUTANT_CLEAR_RETIRES_ALL
                :: dirty == 0 || ep[x] == EXPUNGED -> retire_entry(x)   /* retire(e) */
#else
                /* MUTANT_CLEAR_RETIRES_ALL: clear() retires every entry of
                   the old snapshot, also those it retires with dirty_. */
                :: true -> retire_entry(x)
#endif
                :: else
                fi;
                orphan[x] = 1
             :: else
             fi;
             ci++
          :: else -> break
          od;
          retire_table(r_t);                      /* retire(r.table) */
          ghost_set(0, 0); ghost_set(1, 0)        /* linearization point */
       :: else
       fi;
       if
       :: dirty != 0 ->                           /* for (e : dirty_->set) retire(e); dirty_->set.clear(); */
          ci = 0;
          do
          :: ci < NK ->
             x = DIRT(ci);
             if
             :: x != 0 -> retire_entry(x); orphan[x] = 1;
                PROP(tables_immutable, P_IMM, !published[dirty]);
                DIRT(ci) = 0
             :: else
             fi;
             ci++
          :: else -> break
          od
       :: else
       fi;
       ci = 1;                                    /* expunged_ = nullptr; misses_ = 0; */
       do
       :: ci < NE -> chained[ci] = 0; was_exp[ci] = 0; ci++
       :: else -> break
       od;
       ci = 0; x = 0;
       misses = 0; ddel = 0                       /* dirty_deleted_ = 0; */
     };
     unlock_mu()
  fi
}

/* ------------------------------------------------------------------ */
/* Initial configurations (each reachable by the C++ from an empty map).*/
/* ------------------------------------------------------------------ */
#define CFG_EMPTY      0   /* no snapshot, no dirty_                           */
#define CFG_SNAP_VALUE 1   /* snapshot {k0: VALUE}                             */
#define CFG_SNAP_NIL   2   /* snapshot {k0: NIL}                               */
#define CFG_EXPUNGED   3   /* snapshot {k0: EXPUNGED}, dirty_ {k1: VALUE}, amended */
#define CFG_DIRTY_ONLY 4   /* snapshot {k0: VALUE}, dirty_ {k0, k1: VALUE}, amended */
#define CFG_DIRTY_NIL  5   /* snapshot {k1: VALUE}, dirty_ {k1, k0: NIL}, amended */
#define CFG_K1_ONLY    6   /* snapshot {k1: VALUE}                             */
#define CFG_COUNTER    7   /* snapshot {k0: VALUE 0}                           */

inline setup(cfg) {
  d_step {
    bval[IB0] = 3; bval[IB1] = 3; bval[IBZ] = 0;
    /* every box made by worker w (_pid w+1) holds the value w (counter
       boxes get theirs when made) */
    ci = 1;
    do
    :: ci <= 24 -> bval[ci] = (ci - 1) / 8 + 1; ci++
    :: else -> break
    od;
    ci = 0;
    if
    :: cfg == CFG_EMPTY -> skip
    :: cfg == CFG_SNAP_VALUE ->
       ekey[1] = 0; ep[1] = IB0; tbl[1*NK+0] = 1;
       rd_t = 1; published[1] = 1; nexte = 2; nextt = 2; G[0] = IB0
    :: cfg == CFG_SNAP_NIL ->
       ekey[1] = 0; ep[1] = NIL; tbl[1*NK+0] = 1;
       rd_t = 1; published[1] = 1; nexte = 2; nextt = 2
    :: cfg == CFG_EXPUNGED ->
       ekey[1] = 0; ep[1] = EXPUNGED; tbl[1*NK+0] = 1; chained[1] = 1; was_exp[1] = 1;
       ekey[2] = 1; ep[2] = IB1; tbl[2*NK+1] = 2;
       rd_t = 1; rd_am = 1; published[1] = 1; dirty = 2; nexte = 3; nextt = 3; G[1] = IB1
    :: cfg == CFG_DIRTY_ONLY ->
       ekey[1] = 0; ep[1] = IB0; tbl[1*NK+0] = 1;
       ekey[2] = 1; ep[2] = IB1; tbl[2*NK+0] = 1; tbl[2*NK+1] = 2;
       rd_t = 1; rd_am = 1; published[1] = 1; dirty = 2; nexte = 3; nextt = 3;
       G[0] = IB0; G[1] = IB1
    :: cfg == CFG_DIRTY_NIL ->
       ekey[2] = 1; ep[2] = IB1; tbl[1*NK+1] = 2;
       ekey[1] = 0; ep[1] = NIL; tbl[2*NK+0] = 1; tbl[2*NK+1] = 2;
       rd_t = 1; rd_am = 1; published[1] = 1; dirty = 2; nexte = 3; nextt = 3; G[1] = IB1
    :: cfg == CFG_K1_ONLY ->
       ekey[1] = 1; ep[1] = IB1; tbl[1*NK+1] = 1;
       rd_t = 1; published[1] = 1; nexte = 2; nextt = 2; G[1] = IB1
    :: cfg == CFG_COUNTER ->
       ekey[1] = 0; ep[1] = IBZ; tbl[1*NK+0] = 1;
       rd_t = 1; published[1] = 1; nexte = 2; nextt = 2; G[0] = IBZ
    fi
  }
}

/* ------------------------------------------------------------------ */
/* Processes.                                                          */
/* ------------------------------------------------------------------ */

/* A process running `nops` operations, each chosen non-deterministically
   among those allowed on key 0 (ops0) and key 1 (ops1); range and clear
   are allowed if in ops0.  compare_and_swap/compare_and_delete compare
   with a value in oldmask (bit v: value v).  Every box made by this process
   holds the value _pid. */
#if SCENARIO == 1 || SCENARIO == 6
#define CHURN_OPS OPS_ALL
#elif SCENARIO == 2
#define CHURN_OPS OPS_ALL
#elif SCENARIO == 5
#define CHURN_OPS (OPS_ALL | OP_CLEAR)
#else
#define CHURN_OPS (OP_SWAP | OP_LOAD | OP_LAD)
#endif
proctype churn(byte nops; byte ops0; byte ops1; byte oldmask) {
  LOCALS;
  byte n, op, k;
  do
  :: n < nops ->
     atomic {                /* choose the operation, its key, and its compare value */
     if
     :: ops0 & OP_SWAP  -> op = OP_SWAP;  k = 0
     :: ops0 & OP_LOS   -> op = OP_LOS;   k = 0
     :: ops0 & OP_LAD   -> op = OP_LAD;   k = 0
     :: ops0 & OP_CAS   -> op = OP_CAS;   k = 0
     :: ops0 & OP_CAD   -> op = OP_CAD;   k = 0
     :: ops0 & OP_LOAD  -> op = OP_LOAD;  k = 0
     :: ops0 & OP_RANGE -> op = OP_RANGE; k = 0
     :: ops0 & OP_CLEAR -> op = OP_CLEAR; k = 0
     :: ops1 & OP_SWAP  -> op = OP_SWAP;  k = 1
     :: ops1 & OP_LOS   -> op = OP_LOS;   k = 1
     :: ops1 & OP_LAD   -> op = OP_LAD;   k = 1
     :: ops1 & OP_CAS   -> op = OP_CAS;   k = 1
     :: ops1 & OP_CAD   -> op = OP_CAD;   k = 1
     :: ops1 & OP_LOAD  -> op = OP_LOAD;  k = 1
     fi;
     if
     :: op == OP_CAS || op == OP_CAD ->
        if
        :: oldmask & 2 -> old = 1
        :: oldmask & 4 -> old = 2
        :: oldmask & 8 -> old = 3
        fi
     :: else
     fi
     };
     if                      /* (only the operations the scenario uses are compiled) */
#if CHURN_OPS & OP_SWAP
     :: op == OP_SWAP  -> swap(k, BOX(_pid, n))
#endif
#if CHURN_OPS & OP_LOS
     :: op == OP_LOS   -> load_or_store(k, BOX(_pid, n))
#endif
#if CHURN_OPS & OP_LAD
     :: op == OP_LAD   -> load_and_delete(k, 0)
#endif
#if CHURN_OPS & OP_CAD
     :: op == OP_CAD   -> compare_and_delete(k, old)
#endif
#if CHURN_OPS & OP_CAS
     :: op == OP_CAS   -> compare_and_swap(k, old, BOX(_pid, n))
#endif
#if CHURN_OPS & OP_LOAD
     :: op == OP_LOAD  -> visit(k)
#endif
#if CHURN_OPS & OP_RANGE
     :: op == OP_RANGE -> range()
#endif
#if CHURN_OPS & OP_CLEAR
     :: op == OP_CLEAR -> clear()
#endif
     fi;
     d_step { op_done(); n++; op = 0; k = 0 }
  :: else -> break
  od
}

/* no_lost_store: store(k0, v) completes, then load(k0) must return v.  The
   other processes never overwrite or delete k0 once it holds v (they only
   load it, load_or_store it, or compare it with other values), but they
   churn k1, rebuild dirty_ (expunging k0 if nil), and promote. */
#if SCENARIO == 2
proctype store_then_load(bit delete_first) {
  LOCALS;
  byte mine;
  if
  :: delete_first ->                              /* erase(k0) first: k0 nil, maybe expunged later */
     load_and_delete(0, 0);
     op_end()
  :: else
  fi;
  mine = BOX(_pid, 1);
  swap(0, mine);                                  /* store(k0, 1) */
  op_end();
  visit(0);                                       /* load(k0) */
  PROP(no_lost_store, P_NLS, res == mine);
  op_end()
}

#endif

#if SCENARIO == 3
/* load_or_store_agree: load_or_store(k0, v) on a missing key. */
proctype los_one() {
  LOCALS;
  load_or_store(0, BOX(_pid, 0));
  d_step { los_st[_pid] = st; los_box[_pid] = res };
  op_end()
}

#endif

#if SCENARIO == 4
/* counter_exact: `incs` increments of key 0 by load + compare_and_swap. */
proctype counter(byte incs) {
  LOCALS;
  byte n, a, v;
  do
  :: n < incs ->
     visit(0);                                    /* v = *m.load(k0) */
     d_step { v = bval[res]; res = 0; bval[BOX(_pid, a)] = v + 1 };   /* the box for v + 1 */
     op_end();
     compare_and_swap(0, v, BOX(_pid, a));        /* m.compare_and_swap(k0, v, v + 1) */
     d_step { if :: res != 0 -> n++ :: else fi; a++; v = 0; res = 0 };
     model_bound = (a < 8); assert(model_bound);
     op_end()
  :: else -> break
  od
}

/* store(k1, v) -- a new key: rebuilds dirty_ -- then load(k1) twice --
   two misses, as many as dirty_ has keys: promotes dirty_. */
proctype rebuild_then_promote() {
  LOCALS;
  swap(1, BOX(_pid, 0));
  op_end();
  visit(1);
  op_end();
  visit(1);
  op_end()
}
#endif

/* The monitor: asserts every invariant in every reachable state (it has
   an enabled step exactly when one is false).  SPIN's partial-order
   reduction only merges steps that touch process-local variables, which
   cannot change an invariant, so it is sound with this monitor. */
#define ON(id)  (ONLY == 0 || ONLY == (id))
proctype monitor() {
end:
  do
  :: atomic { ON(P_LIN)  && !INV_LIN  -> linearizable = 0;           assert(linearizable) }
  :: atomic { ON(P_NVAE) && !INV_NVAE -> no_value_after_expunge = 0; assert(no_value_after_expunge) }
  :: atomic { ON(P_RET)  && !INV_RET  -> retire_unreachable = 0;     assert(retire_unreachable) }
  :: atomic { ON(P_END)  && !INV_END  -> expunged_not_in_dirty = 0;  assert(expunged_not_in_dirty) }
  :: atomic { ON(P_SID)  && !INV_SID  -> snapshot_in_dirty = 0;      assert(snapshot_in_dirty) }
  od
}

/* ------------------------------------------------------------------ */
/* Scenarios.                                                          */
/* ------------------------------------------------------------------ */
/* The initial configurations a scenario starts from: bit c of CFGS
   selects configuration c (-DCFGS=... splits a scenario into runs). */
inline choose_cfg(cfgs) {
  if
  :: cfgs & (1 << CFG_EMPTY)      -> cfg = CFG_EMPTY
  :: cfgs & (1 << CFG_SNAP_VALUE) -> cfg = CFG_SNAP_VALUE
  :: cfgs & (1 << CFG_SNAP_NIL)   -> cfg = CFG_SNAP_NIL
  :: cfgs & (1 << CFG_EXPUNGED)   -> cfg = CFG_EXPUNGED
  :: cfgs & (1 << CFG_DIRTY_ONLY) -> cfg = CFG_DIRTY_ONLY
  :: cfgs & (1 << CFG_DIRTY_NIL)  -> cfg = CFG_DIRTY_NIL
  :: cfgs & (1 << CFG_K1_ONLY)    -> cfg = CFG_K1_ONLY
  fi;
  setup(cfg)
}

init {
  LOCALS;
  byte cfg;
#if SCENARIO == 1
  /* churn: two processes, NOPS operations each, each operation any of
     store/swap, load_or_store, load_and_delete, compare_and_swap,
     compare_and_delete, load, range on either key, from every initial
     configuration.  Checks the invariants and linearizability. */
#ifndef CFGS
#define CFGS 63
#endif
  choose_cfg(CFGS);
  atomic { run monitor(); run churn(NOPS, OPS_ALL, OPS_ALL, 14); run churn(NOPS, OPS_ALL, OPS_ALL, 14) };
  _nr_pr == 2;                                    /* all but init and the monitor are done */
  check_no_leak()
#elif SCENARIO == 2
  /* no_lost_store: erase (or not), store then load of k0, against a
     process churning k1 and reading/comparing k0. */
#ifndef CFGS
#define CFGS 47
#endif
  choose_cfg(CFGS);
  if
  :: atomic { run monitor(); run store_then_load(0);
              run churn(NOPS, OP_LOAD|OP_LOS|OP_CAS|OP_CAD|OP_RANGE, OPS_ALL, 12) }
  :: atomic { run monitor(); run store_then_load(1);
              run churn(NOPS, OP_LOAD|OP_LOS|OP_CAS|OP_CAD|OP_RANGE, OPS_ALL, 12) }
  fi;
  _nr_pr == 2;
  check_no_leak()
#elif SCENARIO == 3
  /* load_or_store_agree: two load_or_store of a missing k0, and a process
     that stores/loads/deletes k1 (rebuilds, misses, promotions). */
#ifndef CFGS
#define CFGS 109
#endif
  choose_cfg(CFGS);
  atomic { run monitor(); run los_one(); run los_one(); run churn(NOPS, 0, OP_SWAP|OP_LOAD|OP_LAD, 0) };
  _nr_pr == 2;                                    /* all but init and the monitor are done */
  /* Exactly one stored; both returned the same box. */
  PROP(load_or_store_agree, P_LOS,
       (los_st[2] == S_STORED) + (los_st[3] == S_STORED) == 1 &&
       los_box[2] == los_box[3] && los_box[2] != 0 &&
       (los_st[2] == S_LOADED || los_st[2] == S_STORED) &&
       (los_st[3] == S_LOADED || los_st[3] == S_STORED));
  check_no_leak()
#elif SCENARIO == 4
  /* counter_exact: two processes increment k0 twice each by load +
     compare_and_swap, while a third stores a new key (a rebuild of dirty_)
     and loads it (a miss, which promotes dirty_). */
  setup(CFG_COUNTER);
#ifndef INCS
#define INCS 2
#endif
  atomic { run monitor(); run counter(INCS); run counter(INCS); run rebuild_then_promote() };
  _nr_pr == 2;
  PROP(counter_exact, P_CNT, G[0] != 0 && ABS(0) == G[0] && bval[ABS(0)] == 2 * INCS);
  check_no_leak()
#elif SCENARIO == 5
  /* clear: clear() racing with every other operation. */
#ifndef CFGS
#define CFGS 58
#endif
  choose_cfg(CFGS);
  atomic { run monitor(); run churn(NOPS, OPS_ALL | OP_CLEAR, OPS_ALL, 14); run churn(NOPS, OPS_ALL, OPS_ALL, 14) };
  _nr_pr == 2;
  check_no_leak()
#elif SCENARIO == 6
  /* churn3: three processes, one operation each -- store, load_or_store,
     load_and_delete or load, on either key -- from every initial
     configuration. */
#define OPS3 (OP_SWAP | OP_LOS | OP_LAD | OP_LOAD)
#ifndef CFGS
#define CFGS 63
#endif
  choose_cfg(CFGS);
  atomic { run monitor(); run churn(1, OPS3, OPS3, 0); run churn(1, OPS3, OPS3, 0);
           run churn(1, OPS3, OPS3, 0) };
  _nr_pr == 2;
  check_no_leak()
#endif
}
