// metrics_server: live smartcache figures over HTTP, for Prometheus and people.
//
// A background thread plays the simulated football prediction service of
// `simulate` (fixtures, traffic, VIX, events) at a steady pace, through a
// SmartCache over MemoryStore; the HTTP server shows its metrics:
//
//   GET /metrics   the exposition in the format the Accept header asks for:
//                  OpenMetrics 1.0 (what Prometheus asks for first) or the 0.0.4 text
//   GET /stats     the Stats snapshot as JSON
//   GET /healthz   "ok"
//
//   metrics_server [--host 127.0.0.1] [--port 9464] [--speed 60] [--seed 42]
//                  [--matches 30] [--cost-scale 0.05] [--workers 256]
//
// A scrape endpoint must stay answerable while clients misbehave: reads time
// out after 1 s (an idle or stalled connection frees its worker), a request
// body is at most 64 KiB (a larger Content-Length gets 413 from its headers),
// keep-alive connections close after 1 s idle, and --workers threads serve
// connections, so that /metrics and /healthz answer while 100 idle or
// slow-drip (slowloris) connections are open.
//
// --port 0 picks a free port (printed). SIGINT / SIGTERM stop it cleanly:
// the handler only sets a flag; a watcher thread stops the server.
// SPDX-License-Identifier: MIT

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <smartcache/smartcache.hpp>

#include "sim/args.hpp"
#include "sim/football_day.hpp"

namespace sc = smartcache;

namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 9464;
  double speed = 60;  // simulated seconds per real second
  std::size_t workers = 256;
  sim::Options sim;
};

constexpr std::string_view usage = R"(usage: metrics_server [options]
  Serves /metrics (Prometheus), /stats (JSON) and /healthz for a live simulated
  prediction service behind smartcache.

  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           port (default 9464; 0 = any free port, printed)
  --speed X          simulated seconds per real second (default 60)
  --workers N        connections served at once (default 256)
)";

Options parse(int argc, char** argv) {
  Options o;
  o.sim.progress = false;
  sim::Args args(argc, argv, "metrics_server", std::string(usage) + std::string(sim::simulation_usage));
  while (args.next()) {
    const std::string_view a = args.flag();
    if (a == "--host")
      o.host = args.value();
    else if (a == "--port")
      o.port = static_cast<int>(args.number(0, 65535));
    else if (a == "--speed")
      o.speed = args.number(0.01, 100000);
    else if (a == "--workers")
      o.workers = static_cast<std::size_t>(args.number(1, 4096));
    else if (!sim::simulation_flag(args, o.sim))
      args.unknown();
  }
  return o;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  install_signal_handlers();

  sc::CacheMetrics metrics;
  sim::FootballDay<sc::MemoryStore<std::string>> day(
      std::make_shared<sc::MemoryStore<std::string>>(), opt.sim, metrics);
  day.skip_to(10 * sim::hour_ms);  // start the live day at 10:00, when traffic picks up

  httplib::Server server;
  // Bounded in time and size, with enough workers: see the header comment.
  const std::size_t workers = opt.workers;
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_read_timeout(1, 0);
  server.set_write_timeout(1, 0);
  server.set_keep_alive_timeout(1);
  constexpr std::size_t max_body = 64 * 1024;
  server.set_payload_max_length(max_body);
  // Refuse an oversized body from its headers, before anything waits for it.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    const std::string length = req.get_header_value("Content-Length");
    const bool digits = length.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || length.size() > 6 || (!length.empty() && std::stoul(length) > max_body)) {
      res.status = 413;
      res.set_header("Connection", "close");
      res.set_content("request body too large\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  std::atomic<bool> said_openmetrics{false};
  server.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) {
    const sc::ExpositionFormat format = sc::negotiate_exposition(req.get_header_value("Accept"));
    const bool openmetrics = format == sc::ExpositionFormat::openmetrics;
    if (openmetrics && !said_openmetrics.exchange(true)) {
      fmt::print("metrics_server: serving /metrics as OpenMetrics (Accept: {})\n", req.get_header_value("Accept"));
      std::fflush(stdout);
    }
    res.set_content(openmetrics ? metrics.to_openmetrics() : metrics.to_prometheus(),
                    std::string(sc::content_type(format)));
  });
  server.Get("/stats", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.get_stats().to_json(), "application/json");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("smartcache metrics_server: /metrics /stats /healthz\n", "text/plain");
  });

  int port = opt.port;
  if (port == 0) {
    port = server.bind_to_any_port(opt.host);
  } else if (!server.bind_to_port(opt.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    fmt::print(stderr, "metrics_server: cannot listen on {}:{}\n", opt.host, opt.port);
    return 1;
  }
  fmt::print(
      "metrics_server: listening on http://{}:{}/ (/metrics /stats /healthz), {}x simulated time\n",
      opt.host, port, opt.speed);
  std::fflush(stdout);

  std::thread workload([&] { day.run_live(stop_requested, opt.speed); });

  // Stops the server once a signal asked for it; retries because a stop()
  // that lands before listen starts has nothing to stop yet.
  std::atomic<bool> listening_done{false};
  std::thread watcher([&] {
    while (!stop_requested.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    while (!listening_done.load()) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  const bool ok = server.listen_after_bind();
  listening_done.store(true);
  stop_requested.store(true);  // also when listen failed: end the other threads
  watcher.join();
  workload.join();
  const sc::Stats s = metrics.get_stats();
  fmt::print(
      "metrics_server: stopped after {} requests (hit rate {:.1f} %), simulated clock at {}\n",
      s.total_requests, s.hit_rate_pct, day.clock_label());
  return ok ? 0 : 1;
}
