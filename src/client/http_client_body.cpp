// The body stage of HttpClient::exchange(): reads the response body after its head (RFC 9112
// §6, §7.1), decodes it (RFC 9110 §8.4) as it arrives, keeps, caps or discards it, and says
// how the exchange ended.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/exchange.hpp"
#include "client/string_pool.hpp"
#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "net/connection.hpp"
#include "net/event_loop.hpp"

namespace loadgen::client {

namespace {

// The most a decoder produces between two turns of the loop (zlib inflates ~1 GB/s: ~0.25 ms).
constexpr std::size_t kDecodeSlice = 256 * 1024;

// A content decoder for one exchange, from a small per-thread pool: an exchange may yield in
// the middle of its body, so decoders are never shared between exchanges.
class InflaterLease {
 public:
  InflaterLease() {
    auto& p = pool();
    if (p.empty()) {
      inf_ = std::make_unique<BodyInflater>();
    } else {
      inf_ = std::move(p.back());
      p.pop_back();
    }
  }
  ~InflaterLease() {
    auto& p = pool();
    if (p.size() < 16) p.push_back(std::move(inf_));
  }
  InflaterLease(const InflaterLease&) = delete;
  InflaterLease& operator=(const InflaterLease&) = delete;
  BodyInflater& get() { return *inf_; }

 private:
  static std::vector<std::unique_ptr<BodyInflater>>& pool() {
    thread_local std::vector<std::unique_ptr<BodyInflater>> p;
    return p;
  }
  std::unique_ptr<BodyInflater> inf_;
};

}  // namespace

std::string format_duration(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

core::Task<void> HttpClient::read_body(net::Connection& c, Attempt& a, BodyFraming head) {
  Response& r = *a.resp;
  auto timeout_text = [this] { return format_duration(config_.timeout); };
  const Coding coding = head.coding;
  const bool keep_alive = head.keep_alive;
  const bool keep = a.keep_body;
  const std::size_t cap = config_.max_body_size;
  auto too_large = [&](std::string_view what) {
    c.close();
    r.b_->body.clear();
    set_failure(r, Outcome::kBodyTooLarge,
                fmt::format("{} beyond --max-body-size ({} bytes)", what, cap));
  };
  if (keep && coding == Coding::kIdentity && head.mode == http::BodyMode::kLength &&
      head.content_length > cap) {
    // Known up front (RFC 9110 §8.6): fail without downloading it.
    too_large(fmt::format("Content-Length {}", head.content_length));
    co_return;
  }

  // Body (RFC 9112 §6, §7.1), decoded (RFC 9110 §8.4) as it arrives: transfer-decoded bytes
  // go to the kept body, nowhere (discard), or through the content decoder in slices.
  const bool coded = coding != Coding::kIdentity;
  thread_local std::string scratch;  // discarded decoded output, one slice at a time
  bool decodable = true;
  BodyInflater::Status zst = BodyInflater::Status::kNeedInput;
  std::int64_t decoded_until = 0;  // when the last decoding that yielded ended (monotonic ns)
  std::string encoded;
  std::optional<InflaterLease> lease;
  if (coded) {
    encoded = StringPool::local().take();
    lease.emplace();
    decodable = lease->get().start(coding);
  }
  std::string* sink = coded ? &encoded : keep ? &r.b_->body : nullptr;
  http::BodyDecoder body;
  body.start(head.mode, head.content_length);
  bool failed = false;
  for (;;) {
    if (c.rlen > c.rpos) c.rpos += body.feed(c.rbuf.data() + c.rpos, c.rlen - c.rpos, sink);
    if (body.error() != http::ParseError::kNone) {
      c.close();
      set_failure(r, Outcome::kMalformed, http::to_string(body.error()));
      failed = true;
      break;
    }
    if (!coded && keep && r.b_->body.size() > cap) {
      too_large("body");
      failed = true;
      break;
    }
    if (coded && !encoded.empty()) {
      if (!decodable || zst == BodyInflater::Status::kEnd) {
        encoded.clear();  // undecodable (reported at the end), or bytes after the stream's end
      }
      std::string_view in = encoded;
      while (!in.empty()) {
        std::string& out = keep ? r.b_->body : scratch;
        if (!keep) scratch.clear();
        // One byte over the cap tells "exactly the cap" from "more".
        const std::uint64_t done = lease->get().total_out();
        const std::size_t room = done > cap ? 0 : static_cast<std::size_t>(cap - done);
        zst = lease->get().run(in, out, std::min(kDecodeSlice, room + 1));
        if (zst == BodyInflater::Status::kError || zst == BodyInflater::Status::kEnd) break;
        if (lease->get().total_out() > cap) break;
        if (zst == BodyInflater::Status::kOutputFull) {
          co_await loop_.yield();  // long inflates give the worker's other users a turn
          a.last_read_ns = 0;      // the wait counts: the response ends after it
          decoded_until = core::mono_ns();
          if (cancelled_) {
            StringPool::local().give(std::move(encoded));
            throw core::Cancelled{};
          }
          if (c.deadline_expired()) break;
        }
      }
      encoded.clear();
      if (!keep) scratch.clear();
      if (zst == BodyInflater::Status::kError) decodable = false;
      if (lease->get().total_out() > cap) {
        too_large("decoded body");
        failed = true;
        break;
      }
      if (c.deadline_expired()) {
        c.close();
        set_failure(r, Outcome::kReadTimeout,
                    fmt::format("response body not decoded within {}", timeout_text()));
        failed = true;
        break;
      }
    }
    if (body.done()) break;
    if (c.rpos == c.rlen) c.rpos = c.rlen = 0;
    const net::IoResult rd = co_await c.read_more(kMaxReadBuffer);
    // The response ends with its last byte (a read's kernel time stamp), but never before a
    // decoding that yielded ended; a close-delimited body's end of stream carries no stamp of
    // its own, so the last bytes' stands.
    if (!(net::is_eof(rd.ec) && rd.n == 0 && a.last_read_ns != 0))
      a.last_read_ns = std::max(rd.at_ns, decoded_until);
    if (cancelled_) {
      StringPool::local().give(std::move(encoded));
      throw core::Cancelled{};
    }
    if (rd.ec) {
      const bool timed_out = c.deadline_expired();
      if (net::is_eof(rd.ec) && !timed_out) {
        body.finish_on_eof();
        if (body.done() && body.error() == http::ParseError::kNone) break;
      }
      c.close();
      if (timed_out) {
        set_failure(r, Outcome::kReadTimeout,
                    fmt::format("response body not complete within {}", timeout_text()));
      } else if (net::is_eof(rd.ec)) {
        set_failure(r, Outcome::kIncomplete,
                    fmt::format("connection closed after {} body bytes", body.decoded_bytes()));
      } else {
        set_failure(r, Outcome::kReset, rd.ec.message());
      }
      failed = true;
      break;
    }
  }
  if (coded) StringPool::local().give(std::move(encoded));
  if (failed) {
    if (keep) r.b_->body.clear();
    co_return;
  }
  if (!keep_alive || c.rpos != c.rlen) {
    c.close();
  } else {
    c.rpos = c.rlen = 0;
    c.release_buffer();
  }
  // An empty body needs no decoding (e.g. a 304, or HEAD, with Content-Encoding: gzip).
  if (coded && body.decoded_bytes() != 0 && (!decodable || zst != BodyInflater::Status::kEnd)) {
    r.b_->body.clear();
    set_failure(r, Outcome::kMalformed, "cannot decode the Content-Encoding of the body");
    co_return;
  }
  r.bytes_ = coded ? lease->get().total_out() : body.decoded_bytes();
}

}  // namespace loadgen::client
