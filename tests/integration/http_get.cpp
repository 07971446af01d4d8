// http_get: the tiny HTTP client of the integration scripts (no curl needed).
//
//   http_get --free-port
//       prints a TCP port that is free on 127.0.0.1 right now
//   http_get [--content-type] HOST PORT PATH [NAME=VALUE ...]
//       GETs http://HOST:PORT/PATH with the (URL-encoded) query parameters;
//       prints the body, or with --content-type the Content-Type header only;
//       exits 0 on a 2xx status, 1 otherwise (status and error on stderr).
// SPDX-License-Identifier: MIT

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <httplib.h>

namespace {

int print_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 1;
  }
  ::close(fd);
  std::cout << ntohs(addr.sin_port) << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  if (argc == 2 && std::string_view(argv[1]) == "--free-port") return print_free_port();
  bool content_type_only = false;
  if (i < argc && std::string_view(argv[i]) == "--content-type") {
    content_type_only = true;
    ++i;
  }
  if (argc - i < 3) {
    std::cerr << "usage: http_get --free-port | http_get [--content-type] HOST PORT PATH "
                 "[NAME=VALUE ...]\n";
    return 2;
  }
  const std::string host = argv[i];
  const int port = std::atoi(argv[i + 1]);
  const std::string path = argv[i + 2];
  httplib::Params params;
  for (int k = i + 3; k < argc; ++k) {
    const std::string kv = argv[k];
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "http_get: parameter without '=': " << kv << '\n';
      return 2;
    }
    params.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }

  httplib::Client client(host, port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  const auto res = client.Get(path, params, httplib::Headers{});
  if (!res) {
    std::cerr << "http_get: " << httplib::to_string(res.error()) << '\n';
    return 1;
  }
  if (content_type_only)
    std::cout << res->get_header_value("Content-Type") << '\n';
  else
    std::cout << res->body;
  if (res->status < 200 || res->status >= 300) {
    std::cerr << "http_get: HTTP status " << res->status << '\n';
    return 1;
  }
  return 0;
}
