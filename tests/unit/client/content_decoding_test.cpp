// Tests for client/content_decoding: Content-Encoding parsing and gzip/deflate decoding
// (RFC 9110 §8.4.1), compressed here with zlib itself.
#include "client/content_decoding.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace loadgen::client {
namespace {

// window_bits: 16+15 gzip, 15 zlib, -15 raw deflate.
std::string compress(std::string_view in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string sample() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "line " + std::to_string(i) + " of the sample body\n";
  return s;
}

TEST(ContentDecoding, ParsesCodingNames) {
  EXPECT_EQ(parse_content_encoding("gzip"), Coding::kGzip);
  EXPECT_EQ(parse_content_encoding(" GZip\t"), Coding::kGzip);
  EXPECT_EQ(parse_content_encoding("x-gzip"), Coding::kGzip);
  EXPECT_EQ(parse_content_encoding("deflate"), Coding::kDeflate);
  EXPECT_EQ(parse_content_encoding("identity"), Coding::kIdentity);
  EXPECT_EQ(parse_content_encoding(""), Coding::kIdentity);
  EXPECT_EQ(parse_content_encoding("br"), Coding::kUnsupported);
  EXPECT_EQ(parse_content_encoding("gzip, br"), Coding::kUnsupported);
}

TEST(ContentDecoding, GzipRoundTrip) {
  const std::string body = sample();
  std::string out = "stale";
  ASSERT_TRUE(inflate_body(Coding::kGzip, compress(body, 16 + MAX_WBITS), out));
  EXPECT_EQ(out, body);
  // The per-thread state resets between bodies.
  ASSERT_TRUE(inflate_body(Coding::kGzip, compress("second", 16 + MAX_WBITS), out));
  EXPECT_EQ(out, "second");
}

TEST(ContentDecoding, DeflateZlibFormatRoundTrip) {
  const std::string body = sample();
  std::string out;
  ASSERT_TRUE(inflate_body(Coding::kDeflate, compress(body, MAX_WBITS), out));
  EXPECT_EQ(out, body);
}

TEST(ContentDecoding, RawDeflateIsAcceptedToo) {
  const std::string body = sample();
  std::string out;
  ASSERT_TRUE(inflate_body(Coding::kDeflate, compress(body, -MAX_WBITS), out));
  EXPECT_EQ(out, body);
  // And back to the zlib form on the same thread.
  ASSERT_TRUE(inflate_body(Coding::kDeflate, compress("zlib again", MAX_WBITS), out));
  EXPECT_EQ(out, "zlib again");
}

TEST(ContentDecoding, EmptyBodyCompressed) {
  std::string out = "x";
  ASSERT_TRUE(inflate_body(Coding::kGzip, compress("", 16 + MAX_WBITS), out));
  EXPECT_EQ(out, "");
}

TEST(ContentDecoding, IdentityCopiesAndUnsupportedFails) {
  std::string out;
  ASSERT_TRUE(inflate_body(Coding::kIdentity, "plain", out));
  EXPECT_EQ(out, "plain");
  EXPECT_FALSE(inflate_body(Coding::kUnsupported, "plain", out));
}

TEST(ContentDecoding, CorruptDataFails) {
  std::string out;
  EXPECT_FALSE(inflate_body(Coding::kGzip, "this is not gzip at all", out));
  EXPECT_FALSE(inflate_body(Coding::kDeflate, std::string(64, '\xff'), out));
  std::string gz = compress(sample(), 16 + MAX_WBITS);
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  EXPECT_FALSE(inflate_body(Coding::kGzip, gz, out));
  // And a good body still decodes afterwards.
  ASSERT_TRUE(inflate_body(Coding::kGzip, compress("ok", 16 + MAX_WBITS), out));
  EXPECT_EQ(out, "ok");
}

TEST(ContentDecoding, TruncatedDataFails) {
  const std::string gz = compress(sample(), 16 + MAX_WBITS);
  std::string out;
  EXPECT_FALSE(inflate_body(Coding::kGzip, std::string_view(gz).substr(0, gz.size() - 10), out));
  EXPECT_FALSE(inflate_body(Coding::kGzip, std::string_view(gz).substr(0, 5), out));
}

TEST(ContentDecoding, BombGuardStopsAtMaxOut) {
  const std::string zeros(8u << 20, '\0');  // 8 MiB → a few KiB compressed
  const std::string gz = compress(zeros, 16 + MAX_WBITS);
  ASSERT_LT(gz.size(), 64u * 1024);
  std::string out;
  EXPECT_FALSE(inflate_body(Coding::kGzip, gz, out, 1u << 20));
  EXPECT_LE(out.size(), 1u << 20);
  ASSERT_TRUE(inflate_body(Coding::kGzip, gz, out, zeros.size() + 1));
  EXPECT_EQ(out.size(), zeros.size());
}

TEST(ContentDecoding, BodyOfExactlyMaxOutIsAccepted) {
  // "exceed max_out" is the limit: a body of exactly max_out bytes fits.
  const std::string body = sample();
  std::string out;
  EXPECT_TRUE(inflate_body(Coding::kGzip, compress(body, 16 + MAX_WBITS), out, body.size()));
  EXPECT_EQ(out, body);
}

}  // namespace
}  // namespace loadgen::client
