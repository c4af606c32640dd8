// Fuzz target for the request head parser with BodyDecoder bodies. Input: one flags byte (bit 1:
// a 128-byte head limit), one split byte, then the bytes a client sent. A simulated server parses
// pipelined requests from the stream delivered whole, split at an input-derived point, and (for
// short inputs) one byte at a time; every delivery must give the same requests (method, target,
// framing, decoded body, error). Aborts on any mismatch or broken invariant.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.hpp"

namespace {

using loadgen::http::BodyDecoder;
using loadgen::http::BodyMode;
using loadgen::http::HeadResult;
using loadgen::http::ParseError;
using loadgen::http::RequestHead;

struct Outcome {
  std::string method;
  std::string target;
  int version_minor = 0;
  BodyMode mode = BodyMode::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = false;
  std::size_t fields = 0;
  std::string body;
  ParseError error = ParseError::kNone;
  bool complete = false;

  bool operator==(const Outcome&) const = default;
};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "request_parser_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Delivers `wire` in pieces ending at each of `cuts` (ascending, last == wire.size()).
std::vector<Outcome> run_stream(std::string_view wire, const std::vector<std::size_t>& cuts,
                                std::size_t max_head) {
  constexpr std::size_t kMaxRequests = 64;
  std::vector<Outcome> outcomes;
  std::string buf;
  std::size_t pos = 0;
  bool in_body = false;
  bool stopped = false;
  RequestHead head;
  BodyDecoder decoder;
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    buf.append(wire.substr(prev, cut - prev));
    prev = cut;
    while (!stopped) {
      if (!in_body) {
        if (pos == buf.size() || outcomes.size() == kMaxRequests) break;
        const HeadResult r = parse_request_head(buf.data() + pos, buf.size() - pos, head, max_head);
        if (r.kind == HeadResult::Kind::kNeedMore) break;
        Outcome o;
        if (r.kind == HeadResult::Kind::kError) {
          check(r.error != ParseError::kNone, "error without a code");
          o.error = r.error;
          outcomes.push_back(o);
          stopped = true;
          break;
        }
        check(r.consumed > 0 && r.consumed <= buf.size() - pos, "head consumed out of range");
        check(r.consumed <= max_head, "head longer than max_head");
        check(!head.method.empty() && !head.target.empty(), "empty method or target");
        check(head.version_minor >= 0 && head.version_minor <= 9, "version out of range");
        check(head.body_mode != BodyMode::kUntilClose, "request body until close");
        for (const auto& f : head.fields) {
          check(!f.name.empty(), "empty field name");
          check(f.value.empty() || (!is_ows(f.value.front()) && !is_ows(f.value.back())),
                "value not trimmed");
          check(f.name.data() >= buf.data() + pos &&
                    f.value.data() + f.value.size() <= buf.data() + pos + r.consumed,
                "field view outside the head");
        }
        o.method = head.method;
        o.target = head.target;
        o.version_minor = head.version_minor;
        o.mode = head.body_mode;
        o.content_length = head.content_length;
        o.keep_alive = head.keep_alive;
        o.fields = head.fields.size();
        outcomes.push_back(o);
        pos += r.consumed;
        decoder.start(head.body_mode, head.content_length);
        in_body = true;
      }
      Outcome& o = outcomes.back();
      const std::size_t before = o.body.size();
      const std::size_t n = decoder.feed(buf.data() + pos, buf.size() - pos, &o.body);
      check(n <= buf.size() - pos, "body consumed out of range");
      check(o.body.size() - before <= n, "decoded more than consumed");
      pos += n;
      if (decoder.error() != ParseError::kNone) {
        o.error = decoder.error();
        stopped = true;
        break;
      }
      if (!decoder.done()) {
        check(pos == buf.size(), "body stopped early without finishing");
        break;
      }
      o.complete = true;
      in_body = false;
    }
  }
  if (!stopped) {
    if (in_body) {
      decoder.finish_on_eof();
      outcomes.back().error = decoder.error();
      outcomes.back().complete = decoder.done();
    } else if (pos < buf.size() && outcomes.size() < kMaxRequests) {
      Outcome o;
      o.error = ParseError::kIncomplete;  // a head cut off by EOF
      outcomes.push_back(o);
    }
  }
  return outcomes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_head = (data[0] & 2) != 0 ? 128 : 64 * 1024;
  const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

  const std::vector<Outcome> whole = run_stream(wire, {wire.size()}, max_head);

  const std::size_t split = wire.empty() ? 0 : (data[1] * 131u) % (wire.size() + 1);
  check(run_stream(wire, {split, wire.size()}, max_head) == whole,
        "split delivery differs from whole delivery");

  if (wire.size() <= 512) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i <= wire.size(); ++i) cuts.push_back(i);
    check(run_stream(wire, cuts, max_head) == whole,
          "byte-at-a-time delivery differs from whole delivery");
  }
  return 0;
}
