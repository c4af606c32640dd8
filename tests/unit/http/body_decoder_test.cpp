// Tests for BodyDecoder: Content-Length, chunked, until-close; split feeding; pipelining.
#include <gtest/gtest.h>

#include <string>

#include "http/response_parser.hpp"

namespace loadgen::http {
namespace {

struct Decoded {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
  ParseError error = ParseError::kNone;
};

// Feeds `wire` in pieces of `step` bytes (0 = all at once), stopping when a piece is not fully
// consumed, like a client whose buffer holds the next response.
Decoded decode(BodyMode mode, std::uint64_t cl, std::string_view wire, std::size_t step = 0,
               bool eof = false) {
  BodyDecoder d;
  d.start(mode, cl);
  Decoded r;
  if (step == 0) step = wire.size() == 0 ? 1 : wire.size();
  for (std::size_t off = 0; off < wire.size(); off += step) {
    const std::size_t n = std::min(step, wire.size() - off);
    const std::size_t used = d.feed(wire.data() + off, n, &r.body);
    r.consumed += used;
    if (used < n) break;
  }
  if (eof) d.finish_on_eof();
  r.done = d.done();
  r.error = d.error();
  EXPECT_EQ(d.decoded_bytes(), r.body.size());
  return r;
}

void expect_split_invariant(BodyMode mode, std::uint64_t cl, std::string_view wire, bool eof) {
  const Decoded whole = decode(mode, cl, wire, 0, eof);
  for (std::size_t step : {1u, 2u, 3u, 7u}) {
    const Decoded split = decode(mode, cl, wire, step, eof);
    EXPECT_EQ(split.body, whole.body) << "step " << step;
    EXPECT_EQ(split.consumed, whole.consumed) << "step " << step;
    EXPECT_EQ(split.done, whole.done) << "step " << step;
    EXPECT_EQ(split.error, whole.error) << "step " << step;
  }
}

TEST(BodyDecoder, ContentLengthLeavesPipelinedBytes) {
  const std::string wire =
      "hello"
      "HTTP/1.1 200 OK\r\n";
  const Decoded r = decode(BodyMode::kLength, 5, wire);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_TRUE(r.done);
  expect_split_invariant(BodyMode::kLength, 5, wire, false);
}

TEST(BodyDecoder, ZeroLengthAndNoneAreDoneAtOnce) {
  BodyDecoder d;
  d.start(BodyMode::kLength, 0);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.feed("HTTP", 4, nullptr), 0u);
  d.start(BodyMode::kNone, 123);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.feed("x", 1, nullptr), 0u);
}

TEST(BodyDecoder, ContentLengthEofIsIncomplete) {
  const Decoded r = decode(BodyMode::kLength, 10, "abc", 0, true);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.error, ParseError::kIncomplete);
}

TEST(BodyDecoder, ChunkedWithExtensionsAndTrailers) {
  const std::string wire =
      "5;name=value\r\nhello\r\n"
      "6 ; a=\"q\"\r\n world\r\n"
      "0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  const Decoded r = decode(BodyMode::kChunked, 0, wire);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.error, ParseError::kNone);
  EXPECT_EQ(r.consumed, wire.find("HTTP/1.1 204"));
  expect_split_invariant(BodyMode::kChunked, 0, wire, false);
}

TEST(BodyDecoder, ChunkedBareLfAndUppercaseHex) {
  const std::string wire = "A\nabcdefghij\n0\n\nNEXT";
  const Decoded r = decode(BodyMode::kChunked, 0, wire);
  EXPECT_EQ(r.body, "abcdefghij");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.consumed, wire.size() - 4);
  expect_split_invariant(BodyMode::kChunked, 0, wire, false);
}

TEST(BodyDecoder, ChunkedNullOutCountsOnly) {
  BodyDecoder d;
  d.start(BodyMode::kChunked, 0);
  const std::string wire = "3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(d.feed(wire.data(), wire.size(), nullptr), wire.size());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.decoded_bytes(), 3u);
}

ParseError chunk_error(std::string_view wire, bool eof = false) {
  const Decoded r = decode(BodyMode::kChunked, 0, wire, 0, eof);
  EXPECT_FALSE(r.done) << wire;
  expect_split_invariant(BodyMode::kChunked, 0, wire, eof);
  return r.error;
}

TEST(BodyDecoder, BadChunks) {
  EXPECT_EQ(chunk_error("zz\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error(";ext\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("5x\r\nhello\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("3\r\nabcX\r\n"), ParseError::kBadChunk);  // missing CRLF after data
  EXPECT_EQ(chunk_error("3\r\nabc\rX0\r\n\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("3\rX\nabc\r\n"), ParseError::kBadChunk);          // bare CR in size line
  EXPECT_EQ(chunk_error("40000000000000001\r\n"), ParseError::kBadChunk);  // > 2^62
  EXPECT_EQ(chunk_error("1" + std::string(5000, '0') + "\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("1;" + std::string(5000, 'e') + "\r\n"), ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("0\r\nT: " + std::string(70 * 1024, 'v') + "\r\n\r\n"),
            ParseError::kBadChunk);
  EXPECT_EQ(chunk_error("0\r\n\rX"), ParseError::kBadChunk);
}

TEST(BodyDecoder, LargestChunkSizeAccepted) {
  BodyDecoder d;
  d.start(BodyMode::kChunked, 0);
  const std::string wire = "4000000000000000\r\nabc";  // exactly 2^62
  EXPECT_EQ(d.feed(wire.data(), wire.size(), nullptr), wire.size());
  EXPECT_EQ(d.error(), ParseError::kNone);
  EXPECT_EQ(d.decoded_bytes(), 3u);
}

TEST(BodyDecoder, ChunkedEofIsIncomplete) {
  EXPECT_EQ(chunk_error("5\r\nhel", true), ParseError::kIncomplete);
  EXPECT_EQ(chunk_error("0\r\nTrailer: x\r\n", true), ParseError::kIncomplete);
}

TEST(BodyDecoder, UntilClose) {
  const Decoded open = decode(BodyMode::kUntilClose, 0, "abc\r\n0\r\n\r\n", 0, false);
  EXPECT_FALSE(open.done);
  EXPECT_EQ(open.consumed, 10u);
  const Decoded closed = decode(BodyMode::kUntilClose, 0, "abc", 0, true);
  EXPECT_TRUE(closed.done);
  EXPECT_EQ(closed.body, "abc");
  EXPECT_EQ(closed.error, ParseError::kNone);
  expect_split_invariant(BodyMode::kUntilClose, 0, "some body bytes", true);
}

TEST(BodyDecoder, ErrorIsSticky) {
  BodyDecoder d;
  d.start(BodyMode::kChunked, 0);
  EXPECT_EQ(d.feed("g", 1, nullptr), 0u);
  EXPECT_EQ(d.error(), ParseError::kBadChunk);
  EXPECT_EQ(d.feed("0\r\n\r\n", 5, nullptr), 0u);
  d.finish_on_eof();
  EXPECT_EQ(d.error(), ParseError::kBadChunk);
  d.start(BodyMode::kLength, 1);  // start() resets
  EXPECT_EQ(d.error(), ParseError::kNone);
  EXPECT_EQ(d.feed("x", 1, nullptr), 1u);
  EXPECT_TRUE(d.done());
}

TEST(Pipeline, HeadThenBodyThenNextHead) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxy";
  ResponseHead h;
  BodyDecoder d;
  std::size_t off = 0;
  std::string bodies;
  for (int i = 0; i < 2; ++i) {
    const HeadResult r = parse_response_head(wire.data() + off, wire.size() - off, false, h);
    ASSERT_EQ(r.kind, HeadResult::Kind::kDone);
    off += r.consumed;
    d.start(h.body_mode, h.content_length);
    off += d.feed(wire.data() + off, wire.size() - off, &bodies);
    ASSERT_TRUE(d.done());
  }
  EXPECT_EQ(off, wire.size());
  EXPECT_EQ(bodies, "abcdxy");
}

}  // namespace
}  // namespace loadgen::http
