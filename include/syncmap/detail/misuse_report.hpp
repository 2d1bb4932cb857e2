// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// What checked_map reports when it catches unsynchronized use, and the
// process-wide handler the report goes to. Public API (namespace syncmap),
// included by <syncmap/checked_map.hpp>; kept apart so that the state machine
// in misuse_check.hpp can raise reports without the container wrapper.

#ifndef SYNCMAP_DETAIL_MISUSE_REPORT_HPP_
#define SYNCMAP_DETAIL_MISUSE_REPORT_HPP_

#include <cstdint>
#include <stdexcept>
#include <string>

namespace syncmap {

// Which pair of calls overlapped. The names follow Go's runtime messages.
enum class misuse_kind : unsigned char {
  concurrent_writes,    // "concurrent map writes"
  read_and_write,       // "concurrent map read and map write"
  iteration_and_write,  // "concurrent map iteration and map write"
};

// Go's message for `kind`, e.g. "concurrent map writes".
const char* to_string(misuse_kind kind) noexcept;

// One detected misuse. Every pointer refers to static or map-owned storage
// and is valid only during the handler call.
struct misuse_report {
  misuse_kind kind = misuse_kind::concurrent_writes;
  // The operation of the thread that detected the misuse (the thread the
  // handler runs on), e.g. "insert", "find", "iterator increment".
  const char* operation = "";
  // The checked_map's address and its name ("" if it has none).
  const void* map = nullptr;
  const char* map_name = "";
  // Thread ids: the OS thread id on Linux (gettid(), what gdb and top show),
  // elsewhere a hash of std::thread::id; 0 when the other side is not known
  // (the other thread left the map before this one could read its id).
  std::uint64_t thread = 0;
  std::uint64_t other_thread = 0;
  // Whether the other side was writing (false: it was reading).
  bool other_is_write = true;
};

// The report as one line, the default handler's format:
//   syncmap: concurrent map writes (map "name" at 0x..., operation insert on
//   thread 12, conflicting write on thread 13)
std::string describe(const misuse_report& report);

// A handler receives every report on the detecting thread, before that
// thread touches the container. If it returns, the call goes on (and races);
// if it throws, the exception leaves the checked_map call with the container
// untouched by this call (iterator operations: the iterator unchanged).
// Handlers may be called by several threads at once.
using misuse_handler = void (*)(const misuse_report&);

// Installs `handler` for every checked_map in the process and returns the
// previous one. nullptr reinstates the default handler. Thread-safe.
misuse_handler set_misuse_handler(misuse_handler handler) noexcept;

// The handler installed now.
misuse_handler get_misuse_handler() noexcept;

// The default handler, as Go's runtime: prints describe(report) and a
// newline to stderr and calls std::abort().
[[noreturn]] void abort_misuse_handler(const misuse_report& report);

// What throwing_misuse_handler throws: what() is describe(report()).
class misuse_error : public std::logic_error {
 public:
  explicit misuse_error(const misuse_report& report) : std::logic_error(describe(report)), report_(report) {}
  // The report; its pointers stay valid while the map lives (names and
  // operations are string literals or the map's name).
  const misuse_report& report() const noexcept { return report_; }

 private:
  misuse_report report_;
};

// A ready-made handler that throws misuse_error, for tests and for services
// that prefer to fail the request over the process.
[[noreturn]] void throwing_misuse_handler(const misuse_report& report);

namespace detail {
// Calls the installed handler. Out of line and cold: only misuse gets here.
void report_misuse(const misuse_report& report);
}  // namespace detail

}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_MISUSE_REPORT_HPP_
