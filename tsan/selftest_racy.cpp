// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// A deliberately racy program for the race gate's self-test: two threads
// increment a plain int without synchronization. Run under the gate's TSan
// options, it must make the gate fail -- proof that the gate can fail.

#include <cstdio>
#include <thread>

namespace {
int g_counter = 0;  // NOLINT: the race is the point

void bump() {
  for (int i = 0; i < 100000; ++i) ++g_counter;
}
}  // namespace

int main() {
  std::thread a(bump);
  std::thread b(bump);
  a.join();
  b.join();
  std::printf("counter = %d (racy on purpose)\n", g_counter);
  return 0;
}
