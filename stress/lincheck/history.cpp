// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Operation names, their one-line descriptions, and the timestamps the
// recorders take around every call.

#include "history.hpp"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace syncmap_stress {
namespace lincheck {

const char* to_string(op_kind k) noexcept {
  switch (k) {
    case op_kind::load:
      return "load";
    case op_kind::contains:
      return "contains";
    case op_kind::store:
      return "store";
    case op_kind::load_or_store:
      return "load_or_store";
    case op_kind::load_and_delete:
      return "load_and_delete";
    case op_kind::erase:
      return "erase";
    case op_kind::swap:
      return "swap";
    case op_kind::compare_and_swap:
      return "compare_and_swap";
    case op_kind::compare_and_delete:
      return "compare_and_delete";
    case op_kind::clear:
      return "clear";
  }
  return "unknown";
}

namespace {

const char* flag(bool b) { return b ? "true" : "false"; }

// "(true, 4)" for a kind that returns a flag and a value. The value is shown
// only where the model reads it: always when ok, and for a load_or_store
// that stored (it returns the value it stored); "-" otherwise.
std::string flag_and_value(const operation& op) {
  const bool value_meaningful = op.ok || op.kind == op_kind::load_or_store;
  std::string out = "(";
  out += flag(op.ok);
  out += ", ";
  out += value_meaningful ? std::to_string(op.value) : std::string("-");
  out += ")";
  return out;
}

}  // namespace

std::string describe(const operation& op) {
  std::string out = "T" + std::to_string(op.thread) + " [" + std::to_string(op.invoke) + "," +
                    std::to_string(op.response) + "] " + to_string(op.kind);
  const std::string k = "k=" + std::to_string(op.key);
  switch (op.kind) {
    case op_kind::load:
    case op_kind::load_and_delete:
      out += "(" + k + ") -> " + flag_and_value(op);
      break;
    case op_kind::contains:
    case op_kind::erase:
      out += "(" + k + ") -> " + flag(op.ok);
      break;
    case op_kind::store:
      out += "(" + k + ", " + std::to_string(op.arg) + ")";
      break;
    case op_kind::load_or_store:
    case op_kind::swap:
      out += "(" + k + ", " + std::to_string(op.arg) + ") -> " + flag_and_value(op);
      break;
    case op_kind::compare_and_swap:
      out += "(" + k + ", " + std::to_string(op.expected) + ", " + std::to_string(op.arg) + ") -> " +
             flag(op.ok);
      break;
    case op_kind::compare_and_delete:
      out += "(" + k + ", " + std::to_string(op.expected) + ") -> " + flag(op.ok);
      break;
    case op_kind::clear:
      out += "()";
      break;
  }
  return out;
}

namespace {

// Whether the time-stamp counter ticks at a constant rate in every P-, C-
// and T-state (constant_tsc: frequency-invariant; nonstop_tsc: keeps
// counting in deep C-states). Only then is it a clock: comparable across
// cores (the kernel synchronizes the counters at boot) and across time.
bool tsc_is_invariant() noexcept {
  try {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line.substr(line.find(':') + 1));
      bool constant = false;
      bool nonstop = false;
      std::string word;
      while (words >> word) {
        constant = constant || word == "constant_tsc";
        nonstop = nonstop || word == "nonstop_tsc";
      }
      return constant && nonstop;  // the first CPU's flags speak for all
    }
  } catch (...) {  // no /proc, or out of memory: fall back to steady_clock
  }
  return false;
}

std::uint64_t steady_now() noexcept {
  const auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

}  // namespace

// A stamp must not be a shared atomic counter (fetch_add on one cache line):
// that is a locked read-modify-write, a full barrier on every recorded
// operation, which would both serialize the threads under test and order
// their memory accesses — hiding exactly the memory-ordering bugs in the
// library the stress runs are meant to find. Each stamp here reads a clock
// and writes nothing shared.
//
// The TSC is read between two lfences: the first waits until every earlier
// instruction (the operation under test, for a response stamp) has
// completed locally, the second keeps later instructions (the operation, for
// an invoke stamp) from starting before the read. Neither drains the store
// buffer: an operation whose linearization point is a store that is not
// sequentially consistent can look complete before other threads can see it,
// and the checker may then report a violation — rightly, since Go's sync.Map,
// whose atomics are sequentially consistent, promises real-time order.
std::uint64_t now() noexcept {
#if defined(__x86_64__)
  // Decided once; the initialization of a function-local static is
  // thread-safe, and afterwards reading it writes nothing.
  static const bool use_tsc = tsc_is_invariant();
  if (use_tsc) {
    _mm_lfence();
    const std::uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
  }
#endif
  return steady_now();
}

}  // namespace lincheck
}  // namespace syncmap_stress
