// HTTP/1.1 response-head helpers shared by the standalone I/O probes (bench/uring_probe.cpp,
// bench/asio_probe.cpp), which link no loadgen library: just enough to find a response's end.
#pragma once

#include <cstddef>
#include <string_view>

namespace loadgen::bench {

// The Content-Length of a response head (up to and including the last field line's CRLF), or
// 0 without one: a case-insensitive "content-length:" at a line start (RFC 9110 section 8.6).
inline std::size_t content_length(std::string_view head) {
  constexpr std::string_view kName = "\ncontent-length:";
  for (std::size_t i = 0; i + kName.size() <= head.size(); ++i) {
    std::size_t j = 0;
    while (j < kName.size()) {
      char c = head[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kName[j]) break;
      ++j;
    }
    if (j == kName.size()) {
      std::size_t k = i + j, n = 0;
      while (k < head.size() && head[k] == ' ') ++k;
      while (k < head.size() && head[k] >= '0' && head[k] <= '9')
        n = n * 10 + static_cast<std::size_t>(head[k++] - '0');
      return n;
    }
  }
  return 0;
}

}  // namespace loadgen::bench
