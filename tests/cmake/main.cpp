// Consumer test: the umbrella header compiles and links in a foreign project.
#include <smartcache/smartcache.hpp>

#include <cstdio>
#include <string>

int main() {
  smartcache::CacheMetrics metrics;
  metrics.record_latency(12.5);
  const std::string text = metrics.to_prometheus();
  std::printf("to_prometheus(): %zu bytes\n", text.size());
  return text.find("smartcache_request_duration_seconds") == std::string::npos ? 1 : 0;
}
