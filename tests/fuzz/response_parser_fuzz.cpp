// Fuzz target for the response head parser and body decoder. Input: one flags byte (bit 0: the
// request was HEAD; bit 1: a 128-byte head limit), one split byte, then the bytes a server sent.
// A simulated client parses pipelined responses from the stream delivered whole, split at an
// input-derived point, and (for short inputs) one byte at a time; every delivery must give the
// same responses (status, framing, decoded body, error). Aborts on any mismatch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/response_parser.hpp"

namespace {

using loadgen::http::BodyDecoder;
using loadgen::http::BodyMode;
using loadgen::http::HeadResult;
using loadgen::http::ParseError;
using loadgen::http::ResponseHead;

struct Outcome {
  int status = 0;
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
    std::fprintf(stderr, "response_parser_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Delivers `wire` in pieces ending at each of `cuts` (ascending, last == wire.size()).
std::vector<Outcome> run_stream(std::string_view wire, const std::vector<std::size_t>& cuts,
                                bool head_request, std::size_t max_head) {
  constexpr std::size_t kMaxResponses = 64;
  std::vector<Outcome> outcomes;
  std::string buf;
  std::size_t pos = 0;
  bool in_body = false;
  bool stopped = false;
  ResponseHead head;
  BodyDecoder decoder;
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    buf.append(wire.substr(prev, cut - prev));
    prev = cut;
    while (!stopped) {
      if (!in_body) {
        if (pos == buf.size() || outcomes.size() == kMaxResponses) break;
        const HeadResult r =
            parse_response_head(buf.data() + pos, buf.size() - pos, head_request, head, max_head);
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
        check(head.status >= 100 && head.status <= 999, "status out of range");
        for (const auto& f : head.fields) {
          check(!f.name.empty(), "empty field name");
          check(f.value.empty() || (!is_ows(f.value.front()) && !is_ows(f.value.back())),
                "value not trimmed");
          check(f.name.data() >= buf.data() + pos &&
                    f.value.data() + f.value.size() <= buf.data() + pos + r.consumed,
                "field view outside the head");
        }
        check(head.find("Content-Length").size() <= r.consumed, "find out of range");
        {
          // The client fields picked out in the parser's pass: what a walk over the fields
          // with a case-insensitive compare finds (the last one of each, and every Set-Cookie).
          bool has_ce = false;
          std::string_view ce;
          std::string_view location;
          std::size_t cookies = 0;
          for (const auto& f : head.fields) {
            if (iequals(f.name, "content-encoding")) {
              has_ce = true;
              ce = f.value;
            } else if (iequals(f.name, "location")) {
              location = f.value;
            } else if (iequals(f.name, "set-cookie")) {
              ++cookies;
            }
          }
          check(head.has_content_encoding == has_ce && head.content_encoding == ce &&
                    head.location == location && head.set_cookie_count == cookies,
                "client fields differ from a walk over the fields");
        }
        check(head.body_mode != BodyMode::kUntilClose || !head.keep_alive,
              "until-close with keep-alive");
        o.status = head.status;
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
      check(decoder.decoded_bytes() == o.body.size(), "decoded_bytes mismatch");
      pos += n;
      if (decoder.error() != ParseError::kNone) {
        check(!decoder.done(), "done with an error");
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
      check(decoder.done() != (decoder.error() != ParseError::kNone), "eof: done xor error");
      outcomes.back().error = decoder.error();
      outcomes.back().complete = decoder.done();
    } else if (pos < buf.size() && outcomes.size() < kMaxResponses) {
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
  const bool head_request = (data[0] & 1) != 0;
  const std::size_t max_head = (data[0] & 2) != 0 ? 128 : 64 * 1024;
  const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

  const std::vector<Outcome> whole = run_stream(wire, {wire.size()}, head_request, max_head);

  const std::size_t split = wire.empty() ? 0 : (data[1] * 131u) % (wire.size() + 1);
  const std::vector<Outcome> two = run_stream(wire, {split, wire.size()}, head_request, max_head);
  check(two == whole, "split delivery differs from whole delivery");

  if (wire.size() <= 512) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i <= wire.size(); ++i) cuts.push_back(i);
    const std::vector<Outcome> bytes = run_stream(wire, cuts, head_request, max_head);
    check(bytes == whole, "byte-at-a-time delivery differs from whole delivery");
  }
  return 0;
}
