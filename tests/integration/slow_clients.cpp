// slow_clients HOST PORT: the scrape endpoint stays answerable under abuse.
//
// Opens 50 idle connections (connected, silent) and 50 slow-drip ones (a
// request line, then one header byte every 200 ms: slowloris), keeps them for
// 2.5 s (longer than the server's read timeout), and meanwhile checks that
// GET /healthz and GET /metrics each answer 200 within 1 s, and that a POST
// announcing a 10^12-byte body is refused (4xx) within 1 s. Prints one line
// per check; exits 0 when all pass, 1 otherwise. Loopback only; bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

using steady = std::chrono::steady_clock;

int connect_to(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

// One probe: the status, or -1 when no answer came within 1 s.
int probe(const std::string& host, int port, const char* what, double& seconds,
          bool huge_post = false) {
  httplib::Client client(host, port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(1, 0);
  client.set_write_timeout(1, 0);
  const auto t0 = steady::now();
  int status = -1;
  if (huge_post) {
    // Announce a body of 10^12 bytes and send none of it.
    const int fd = connect_to(host, port);
    if (fd >= 0) {
      timeval tv{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n");
      char buf[64] = {};
      const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      if (n > 12 && std::string(buf, 9) == "HTTP/1.1 ") status = std::atoi(buf + 9);
      ::close(fd);
    }
  } else if (auto res = client.Get(what)) {
    status = res->status;
  }
  seconds = std::chrono::duration<double>(steady::now() - t0).count();
  return seconds <= 1.0 ? status : -1;
}

// A probe that got no answer is tried once more: a server the abusive
// connections stall fails both (the drip keeps them busy for the whole
// attack), while a probe lost to a loaded machine's scheduling is answered
// by the second.
int probe_twice(const std::string& host, int port, const char* what, double& seconds, bool huge_post = false) {
  const int first = probe(host, port, what, seconds, huge_post);
  if (first != -1) return first;
  std::printf("retry: %s got no answer in %.3f s\n", huge_post ? "POST" : what, seconds);
  return probe(host, port, what, seconds, huge_post);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: slow_clients HOST PORT\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);

  std::vector<int> idle, slow;
  for (int i = 0; i < 50; ++i) {
    const int a = connect_to(host, port);
    const int b = connect_to(host, port);
    if (a < 0 || b < 0) {
      std::fprintf(stderr, "FAIL: cannot open the abusive connections\n");
      return 1;
    }
    idle.push_back(a);
    slow.push_back(b);
    send_all(b, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  std::atomic<bool> stop{false};
  std::thread drip([&] {
    while (!stop.load()) {
      for (int fd : slow) send_all(fd, "a");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });

  bool ok = true;
  const auto check = [&](const char* name, int status, double seconds, bool want_ok) {
    const bool pass = want_ok ? status == 200 : (status >= 400 && status < 500);
    std::printf("%s: %s status %d in %.3f s\n", pass ? "ok" : "FAIL", name, status, seconds);
    ok = ok && pass;
  };
  const auto started = steady::now();
  // Probe while the attack is fresh, and again past the server's read timeout.
  for (int round = 0; round < 2; ++round) {
    double s = 0;
    int st = probe_twice(host, port, "/healthz", s);
    check("GET /healthz", st, s, true);
    st = probe_twice(host, port, "/metrics", s);
    check("GET /metrics", st, s, true);
    st = probe_twice(host, port, "", s, true);
    check("POST Content-Length 10^12", st, s, false);
    std::this_thread::sleep_until(started + std::chrono::milliseconds(1500));
  }
  std::this_thread::sleep_until(started + std::chrono::milliseconds(2500));
  stop.store(true);
  drip.join();
  for (int fd : idle) ::close(fd);
  for (int fd : slow) ::close(fd);
  return ok ? 0 : 1;
}
