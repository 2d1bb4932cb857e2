// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Example: a per-connection session table in a multithreaded TCP echo server
// (Go's second sync.Map use case: "multiple goroutines read, write, and
// overwrite entries for disjoint sets of keys").
//
// The server listens on 127.0.0.1 (an ephemeral port, so runs never collide)
// and serves each connection on a thread of its own. Connection threads keep
// their session record -- lines and bytes echoed so far -- in one shared
// syncmap::sync_map<int, session>, keyed by connection id. Each thread is the
// only writer of its own key: after the first store, its updates are single
// lock-free CASes on its own entry, so connections never wait for each
// other. A monitor thread meanwhile reads the whole table with range() to
// report live statistics, without blocking anyone.
//
// A client in the same process drives it: kClients threads each connect, send
// kLines lines, and check every echo. The program exits 0 only if:
//   - every echo matched the line sent;
//   - halfway through, with every client connected and paused, the table held
//     exactly one session per client, each with exactly kLines / 2 lines;
//   - the monitor never saw a session's line count go backwards;
//   - at the end the table is empty (each connection removed its own session
//     with load_and_delete) and each client's final session record, handed
//     over at disconnection, counts exactly its lines and bytes.
// Every socket has send/receive timeouts and the accept loop polls, so a
// broken run fails within seconds instead of hanging; alarm() is the last
// resort.

#include <syncmap/sync_map.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kClients = 8;
constexpr int kLines = 100;  // per client; even, for the halfway check
// Timeouts. The server waits longer than a client, so that a slow run (a
// sanitizer build on a busy machine) fails on the client's side first, with
// a clear message, rather than by the server dropping a paused client.
constexpr int kClientTimeoutSeconds = 10;
constexpr int kServerTimeoutSeconds = 30;

// One connection's record in the session table.
struct session {
  int connection_id = 0;
  std::uint16_t peer_port = 0;  // the client's local port: which client it is
  std::uint64_t lines = 0;      // lines echoed so far
  std::uint64_t bytes = 0;      // bytes echoed so far
};

void set_io_timeouts(int fd, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Sends all of `data`; false on error or timeout. MSG_NOSIGNAL: a peer that
// went away is an error, not a SIGPIPE.
bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads one '\n'-terminated line (returned with its '\n') from fd, using and
// refilling `buffered`. std::nullopt on end of stream, error or timeout.
std::optional<std::string> read_line(int fd, std::string& buffered) {
  for (;;) {
    const std::size_t eol = buffered.find('\n');
    if (eol != std::string::npos) {
      std::string line = buffered.substr(0, eol + 1);
      buffered.erase(0, eol + 1);
      return line;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffered.append(chunk, static_cast<std::size_t>(n));
  }
}

std::uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

class echo_server {
 public:
  // Binds 127.0.0.1:0 -- the kernel picks a free port -- and listens.
  echo_server() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      std::perror("echo_server: socket/bind/listen");
      ok_ = false;
      return;
    }
    port_ = local_port(listen_fd_);
    acceptor_ = std::thread([this] { accept_loop(); });
    monitor_ = std::thread([this] { monitor_loop(); });
  }

  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;

  ~echo_server() { stop(); }

  std::uint16_t port() const { return port_; }

  // The live session table, for the checks. Any thread may read it.
  const syncmap::sync_map<int, session>& sessions() const { return sessions_; }

  // Session records of closed connections, by client port.
  const syncmap::sync_map<std::uint16_t, session>& closed() const { return closed_; }

  // Stops accepting, waits for every connection thread (each ends when its
  // client disconnects, or at the latest after the server's receive timeout)
  // and the monitor. Returns whether everything went as expected on the server side.
  bool stop() {
    if (!stopping_.exchange(true)) {
      if (acceptor_.joinable()) acceptor_.join();
      std::vector<std::thread> connections;
      {
        std::lock_guard<std::mutex> lock(connections_mu_);
        connections.swap(connections_);
      }
      for (auto& t : connections) t.join();
      monitor_running_.store(false);
      if (monitor_.joinable()) monitor_.join();
      if (listen_fd_ >= 0) ::close(listen_fd_);
      listen_fd_ = -1;
    }
    return ok_;
  }

  std::uint64_t monitor_scans() const { return monitor_scans_.load(); }

 private:
  // Polls, so that stop() is noticed within 50 ms.
  void accept_loop() {
    int next_id = 1;
    while (!stopping_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      set_io_timeouts(fd, kServerTimeoutSeconds);
      const int id = next_id++;
      std::lock_guard<std::mutex> lock(connections_mu_);
      connections_.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  // One connection: echo lines back, keeping this connection's session -- and
  // only this one -- up to date in the shared table.
  void serve(int fd, int id) {
    session mine;
    mine.connection_id = id;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len);
    mine.peer_port = ntohs(peer.sin_port);

    // Register. The id is new, so nothing can be loaded.
    if (sessions_.load_or_store(id, mine).second) fail("connection id registered twice");

    std::string buffered;
    while (std::optional<std::string> line = read_line(fd, buffered)) {
      // Record the line before echoing it: a client that got the echo of
      // line n knows the table counts at least n lines for it.
      ++mine.lines;
      mine.bytes += line->size();
      sessions_.store(id, mine);  // our own key: a lock-free overwrite
      if (!send_all(fd, *line)) break;
    }
    ::close(fd);

    // Disconnect: remove our session and hand its final record over.
    const std::optional<session> last = sessions_.load_and_delete(id);
    if (!last || last->lines != mine.lines || last->bytes != mine.bytes) fail("session table lost an update");
    closed_.store(mine.peer_port, mine);
  }

  // Reads the whole table every millisecond or so, as a metrics exporter
  // would. range() takes no lock on a table that has not changed shape.
  void monitor_loop() {
    std::map<int, std::uint64_t> last_lines;
    while (monitor_running_.load()) {
      sessions_.range([&](const int& id, const session& s) {
        std::uint64_t& last = last_lines[id];
        if (s.lines < last) fail("a session's line count went backwards");
        last = s.lines;
      });
      monitor_scans_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void fail(const char* what) {
    std::fprintf(stderr, "echo_server: %s\n", what);
    ok_ = false;
  }

  syncmap::sync_map<int, session> sessions_;
  syncmap::sync_map<std::uint16_t, session> closed_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> ok_{true};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> monitor_running_{true};
  std::atomic<std::uint64_t> monitor_scans_{0};
  std::mutex connections_mu_;  // guards connections_ (accept thread vs stop())
  std::vector<std::thread> connections_;
  std::thread acceptor_;
  std::thread monitor_;
};

// Waits until `flag` is set, for at most kClientTimeoutSeconds.
bool wait_for(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kClientTimeoutSeconds);
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// What one client did, for the final checks.
struct client_result {
  bool ok = false;
  std::uint16_t port = 0;
  std::uint64_t bytes = 0;
};

// One client: connect, send kLines lines (pausing halfway until `resume`),
// check each echo.
void run_client(int c, std::uint16_t server_port, std::atomic<int>& halfway, const std::atomic<bool>& resume,
                client_result& result) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  set_io_timeouts(fd, kClientTimeoutSeconds);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(server_port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  result.port = local_port(fd);
  std::string buffered;
  for (int i = 0; ok && i < kLines; ++i) {
    if (i == kLines / 2) {
      halfway.fetch_add(1);
      ok = wait_for(resume);
      if (!ok) break;
    }
    const std::string line = "client " + std::to_string(c) + " line " + std::to_string(i) + "\n";
    const std::optional<std::string> echo = send_all(fd, line) ? read_line(fd, buffered) : std::nullopt;
    ok = echo.has_value() && *echo == line;
    result.bytes += line.size();
  }
  ::close(fd);
  result.ok = ok;
}

}  // namespace

int main() {
  alarm(90);  // the last resort against a hang: SIGALRM ends the process
  echo_server server;
  std::printf("echo server on 127.0.0.1:%u\n", static_cast<unsigned>(server.port()));

  std::atomic<int> halfway{0};
  std::atomic<bool> resume{false};
  std::vector<client_result> results(kClients);
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back(run_client, c, server.port(), std::ref(halfway), std::cref(resume),
                         std::ref(results[static_cast<std::size_t>(c)]));
  }

  // Halfway: every client is connected and paused, so the table must hold
  // exactly one session per client, each at exactly kLines / 2 lines.
  bool ok = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kClientTimeoutSeconds);
  while (halfway.load() < kClients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (halfway.load() == kClients) {
    std::size_t sessions = 0;
    server.sessions().range([&](const int&, const session& s) {
      ++sessions;
      if (s.lines != kLines / 2) ok = false;
    });
    std::printf("halfway: %zu sessions (size() says %zu), each at %d lines: %s\n", sessions,
                server.sessions().size(), kLines / 2, ok ? "yes" : "NO");
    ok = ok && sessions == kClients && server.sessions().size() == kClients;
  } else {
    std::printf("halfway: only %d of %d clients got there in time\n", halfway.load(), kClients);
    ok = false;
  }
  resume.store(true);
  for (auto& t : clients) t.join();

  // Every client has disconnected; stop() waits for the connection threads.
  ok = server.stop() && ok;
  for (int c = 0; c < kClients; ++c) {
    const client_result& r = results[static_cast<std::size_t>(c)];
    const std::optional<session> s = server.closed().load(r.port);
    const bool counted = s && s->lines == kLines && s->bytes == r.bytes;
    if (!r.ok || !counted) {
      std::printf("client %d: echoes %s, final session %s\n", c, r.ok ? "ok" : "WRONG",
                  counted ? "ok" : "WRONG or missing");
      ok = false;
    }
  }
  ok = ok && server.sessions().empty() && server.closed().size() == kClients;
  std::printf("%d clients x %d lines echoed; session table empty at the end: %s; monitor scans: %llu\n",
              kClients, kLines, server.sessions().empty() ? "yes" : "NO",
              static_cast<unsigned long long>(server.monitor_scans()));
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
