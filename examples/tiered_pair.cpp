// Two service instances (two processes) over one Redis, each with a
// TieredStore: instance B holds an event's odds in its memory tier, instance
// A invalidates the event by tag, and B prints how long its memory tier kept
// serving the old value.
//
//   redis-server --port 6379 --save '' &      (any Redis 6+)
//   ./tiered_pair [--port 6379] [--rounds 20]
#include <sys/wait.h>
#include <unistd.h>

#include <smartcache/tiered_store.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Store = smartcache::TieredStore<std::string>;
using steady = std::chrono::steady_clock;

namespace {

smartcache::TieredOptions options(int port) {
  smartcache::TieredOptions o;
  o.redis.port = port;
  o.redis.key_prefix = "tiered_pair:";
  return o;
}

smartcache::Entry<std::string> odds(std::string v) {
  const auto now = std::chrono::system_clock::now();
  return {std::move(v), now, now + 60s, now + 120s, {"match:42", "corners"}};
}

bool read_all(int fd, void* p, std::size_t n) {
  auto* c = static_cast<char*>(p);
  while (n > 0) {
    const auto r = ::read(fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Instance B: warm the memory tier, say so, then watch it until the entry goes.
int instance_b(int port, int rounds, int ready_fd, int time_fd) {
  smartcache::CacheMetrics metrics;
  auto o = options(port);
  o.metrics = &metrics;
  Store store(o);
  if (!store.coherent()) {
    std::fprintf(stderr, "instance B: no notification subscription (is Redis at port %d?)\n", port);
    return 1;
  }
  for (int i = 0; i < rounds; ++i) {
    // Warm: the first get reads Redis, the second answers from memory.
    std::string held;
    while (true) {
      auto e = store.get("odds:42", std::chrono::system_clock::now());
      if (e && e->tier == smartcache::Tier::memory) {
        held = e->value;
        break;
      }
      std::this_thread::sleep_for(100us);
    }
    const char ready = 1;
    if (::write(ready_fd, &ready, 1) != 1) return 1;
    long long invalidated_ns = 0;
    if (!read_all(time_fd, &invalidated_ns, sizeof invalidated_ns)) return 1;
    // Until B stops serving the value it held (A may already have written the next one).
    for (;;) {
      auto e = store.get("odds:42", std::chrono::system_clock::now());
      if (!e || e->value != held) break;
    }
    const auto gone = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
    std::printf("round %2d: B stopped serving the invalidated odds %.3f ms after A's invalidation returned (negative: before it returned)\n", i + 1,
                static_cast<double>(gone - invalidated_ns) / 1e6);
  }
  std::printf("instance B: %llu notifications received\n",
              static_cast<unsigned long long>(metrics.get_stats().tier_notifications));
  std::fflush(stdout);  // the child leaves with _Exit
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 6379, rounds = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  int ready[2], times[2];
  if (::pipe(ready) != 0 || ::pipe(times) != 0) return 1;
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(ready[0]);
    ::close(times[1]);
    std::_Exit(instance_b(port, rounds, ready[1], times[0]));
  }
  ::close(ready[1]);
  ::close(times[0]);
  Store a(options(port));
  if (!a.coherent()) {
    std::fprintf(stderr, "instance A: no notification subscription (is Redis at port %d?)\n", port);
  }
  for (int i = 0; i < rounds; ++i) {
    a.put("odds:42", odds("1." + std::to_string(80 + i)), std::chrono::system_clock::now());
    char c = 0;
    if (!read_all(ready[0], &c, 1)) break;
    (void)a.erase_tagged("match:42", {"corners"});
    const long long t = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
    if (::write(times[1], &t, sizeof t) != static_cast<long>(sizeof t)) break;
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
