// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// checked_map's compiled part: the handler registry, the default and the
// throwing handler, the report text and thread ids.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "syncmap/detail/misuse_check.hpp"
#include "syncmap/detail/misuse_report.hpp"

namespace syncmap {
namespace {

// nullptr: the default. acq_rel/acquire: a handler installed by one thread
// is seen with everything its installer wrote before installing it (a
// counting handler's counter, say).
std::atomic<misuse_handler> g_handler{nullptr};

}  // namespace

const char* to_string(misuse_kind kind) noexcept {
  switch (kind) {
    case misuse_kind::concurrent_writes:
      return "concurrent map writes";
    case misuse_kind::read_and_write:
      return "concurrent map read and map write";
    case misuse_kind::iteration_and_write:
      return "concurrent map iteration and map write";
  }
  return "concurrent map misuse";
}

std::string describe(const misuse_report& report) {
  char address[32];
  std::snprintf(address, sizeof address, "%p", report.map);
  std::string out = "syncmap: ";
  out += to_string(report.kind);
  out += " (map ";
  if (report.map_name != nullptr && report.map_name[0] != '\0') {
    out += '"';
    out += report.map_name;
    out += "\" ";
  }
  out += "at ";
  out += address;
  out += ", operation ";
  out += report.operation;
  out += " on thread ";
  out += std::to_string(report.thread);
  out += report.other_is_write ? ", conflicting write on " : ", conflicting read on ";
  out += report.other_thread == 0 ? std::string("an unknown thread")
                                  : "thread " + std::to_string(report.other_thread);
  out += ')';
  return out;
}

misuse_handler set_misuse_handler(misuse_handler handler) noexcept {
  return g_handler.exchange(handler, std::memory_order_acq_rel);
}

misuse_handler get_misuse_handler() noexcept {
  misuse_handler h = g_handler.load(std::memory_order_acquire);
  return h != nullptr ? h : &abort_misuse_handler;
}

void abort_misuse_handler(const misuse_report& report) {
  const std::string line = describe(report) + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

void throwing_misuse_handler(const misuse_report& report) { throw misuse_error(report); }

namespace detail {

void report_misuse(const misuse_report& report) { get_misuse_handler()(report); }

std::uint32_t assign_thread_id() noexcept {
#if defined(__linux__)
  auto id = static_cast<std::uint32_t>(::syscall(SYS_gettid));
#else
  auto id = static_cast<std::uint32_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
#endif
  id &= 0x7FFFFFFFU;  // 31 bits: the map's state word holds the writer's id in 31 bits
  if (id == 0) id = 1;
  t_thread_id = id;
  return id;
}

}  // namespace detail
}  // namespace syncmap
