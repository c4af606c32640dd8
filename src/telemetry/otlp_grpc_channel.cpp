// The only translation unit that includes gRPC (build time: its headers are heavy).
#include "telemetry/otlp_grpc_channel.hpp"

#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/slice.h>
#include <grpcpp/support/status.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/redact.hpp"
#include "http/url.hpp"
#include "telemetry/grpc_status.hpp"
#include "telemetry/otlp_http_exporter.hpp"  // kExporterUserAgent

namespace loadgen::telemetry {

namespace {

// One RPC. Shared by the awaiting coroutine (loop thread), gRPC's completion callback (a gRPC
// thread) and the channel's in-flight list, so whichever lets go last frees it.
struct CallState {
  grpc::ClientContext ctx;
  std::string method;  // gRPC keeps a pointer to the name while it sets the call up
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Status status;             // written by the callback, read after the post (ordered)
  std::coroutine_handle<> waiter;  // loop thread
  bool completed = false;          // loop thread
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

core::Result<std::string> read_pem(const std::string& path, const otel::OtlpExporterConfig& c,
                                   std::string_view option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string sig(otel::signal_env_name(c.signal));
    return core::make_error("unreadable_file",
                            "OTEL_EXPORTER_OTLP_" + sig + "_" + std::string(option) +
                                " / OTEL_EXPORTER_OTLP_" + std::string(option) + "='" + path +
                                "': cannot read: " + std::strerror(err),
                            "give the path of a readable PEM file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// gRPC's own log lines (e.g. "ssl_transport_security.cc ... Handshake failed") would land on
// the console beside ours and say what the failed call's status already says, which the
// exporter reports, rate limited. gRPC takes a plain function pointer, process-wide.
void drop_grpc_log(gpr_log_func_args*) {}

std::string flatten(const grpc::ByteBuffer& bb) {
  std::string out;
  std::vector<grpc::Slice> slices;
  if (!bb.Dump(&slices).ok()) return out;
  std::size_t n = 0;
  for (const auto& s : slices) n += s.size();
  out.reserve(n);
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

struct OtlpGrpcChannel::Impl {
  explicit Impl(net::EventLoop& l) : loop(l) {}

  net::EventLoop& loop;
  std::string target;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::vector<std::pair<std::string, std::string>> metadata;  // lowercase keys
  std::vector<std::shared_ptr<CallState>> in_flight;          // loop thread

  // Completion callbacks that have not run yet (the destructor waits for them: they post to
  // the loop and touch this object).
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
};

namespace {

// co_await: starts the call in await_suspend; gRPC's callback posts the resumption to the loop.
struct CallAwaiter {
  OtlpGrpcChannel::Impl* impl;
  std::shared_ptr<CallState> st;

  CallAwaiter(OtlpGrpcChannel::Impl* i, std::shared_ptr<CallState> s) : impl(i), st(std::move(s)) {}
  CallAwaiter(const CallAwaiter&) = delete;
  CallAwaiter& operator=(const CallAwaiter&) = delete;
  // A frame destroyed while suspended here must not be resumed by a late completion.
  ~CallAwaiter() {
    if (st) st->waiter = {};
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    st->waiter = h;
    {
      std::lock_guard lk(impl->mu);
      ++impl->pending;
    }
    impl->in_flight.push_back(st);
    OtlpGrpcChannel::Impl* i = impl;
    net::EventLoop* loop = &impl->loop;
    std::shared_ptr<CallState> s = st;
    impl->stub->UnaryCall(&s->ctx, s->method, grpc::StubOptions(), &s->request, &s->response,
                          [i, loop, s](const grpc::Status& status) mutable {
                            s->status = status;
                            // Our reference moves to the loop, so the call state (and its
                            // ClientContext) is never freed on a gRPC thread inside gRPC.
                            loop->post([st = std::move(s)] {
                              st->completed = true;
                              if (auto w = std::exchange(st->waiter, {})) w.resume();
                            });
                            std::lock_guard lk(i->mu);
                            --i->pending;
                            i->cv.notify_all();
                          });
  }
  GrpcCallResult await_resume() {
    GrpcCallResult r;
    r.code = static_cast<std::int32_t>(st->status.error_code());
    r.message = st->status.error_message();
    r.details = st->status.error_details();
    if (st->status.ok()) r.response = flatten(st->response);
    return r;
  }
};

}  // namespace

core::Result<std::unique_ptr<OtlpGrpcChannel>> OtlpGrpcChannel::open(
    net::EventLoop& loop, const otel::OtlpExporterConfig& config) {
  auto url = http::parse_url(config.endpoint);
  if (!url) {
    // The parser quotes the URL: show it without userinfo (credentials are never printed).
    std::string message = url.error().message;
    if (const auto at = message.find(config.endpoint); at != std::string::npos) {
      message.replace(at, config.endpoint.size(), core::redact_userinfo(config.endpoint));
    }
    return core::make_error("bad_value", "OTLP/gRPC endpoint: " + message,
                            "e.g. http://collector:4317");
  }
  static std::once_flag quiet;
  std::call_once(quiet, [] { gpr_set_log_function(&drop_grpc_log); });
  auto impl = std::make_unique<Impl>(loop);
  const bool v6 = url->host.find(':') != std::string::npos;
  impl->target = (v6 ? "[" + url->host + "]" : url->host) + ":" + std::to_string(url->port);

  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (config.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!config.certificate_file.empty()) {
      auto pem = read_pem(config.certificate_file, config, "CERTIFICATE");
      if (!pem) return pem.error();
      ssl.pem_root_certs = std::move(*pem);
    }
    if (config.client_key_file.empty() != config.client_certificate_file.empty()) {
      const std::string sig(otel::signal_env_name(config.signal));
      return core::make_error("bad_value",
                              "OTEL_EXPORTER_OTLP_[" + sig +
                                  "_]CLIENT_KEY and _CLIENT_CERTIFICATE must be set together",
                              "set both for mutual TLS, or neither");
    }
    if (!config.client_key_file.empty()) {
      auto key = read_pem(config.client_key_file, config, "CLIENT_KEY");
      if (!key) return key.error();
      auto cert = read_pem(config.client_certificate_file, config, "CLIENT_CERTIFICATE");
      if (!cert) return cert.error();
      ssl.pem_private_key = std::move(*key);
      ssl.pem_cert_chain = std::move(*cert);
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }

  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(std::string(kExporterUserAgent));
  // Retries are ours (RetryPolicy, counted and bounded by the export deadline), not gRPC's.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A collector that comes back is reconnected to within seconds, not gRPC's default 2 min.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  // OTLP: responses above 4 MiB are an error (gRPC's default, stated here on purpose).
  args.SetMaxReceiveMessageSize(4 << 20);
  impl->channel = grpc::CreateCustomChannel(impl->target, creds, args);
  impl->stub = std::make_unique<grpc::GenericStub>(impl->channel);
  for (const auto& [k, v] : config.headers) impl->metadata.emplace_back(lower(k), v);
  return std::unique_ptr<OtlpGrpcChannel>(new OtlpGrpcChannel(std::move(impl)));
}

OtlpGrpcChannel::OtlpGrpcChannel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpGrpcChannel::~OtlpGrpcChannel() {
  cancel_all();
  std::unique_lock lk(impl_->mu);
  // Cancellation completes calls within milliseconds; the bound only guards against a gRPC
  // that never calls back, in which case the state is left alive rather than freed under it.
  if (!impl_->cv.wait_for(lk, std::chrono::seconds(5), [&] { return impl_->pending == 0; })) {
    lk.unlock();
    (void)impl_.release();
  }
}

const std::string& OtlpGrpcChannel::target() const { return impl_->target; }

void OtlpGrpcChannel::cancel_all() {
  for (auto& st : impl_->in_flight) {
    if (!st->completed) st->ctx.TryCancel();
  }
}

core::Task<GrpcCallResult> OtlpGrpcChannel::call(std::string_view method, std::string_view request,
                                                 GrpcCallOptions options) {
  // Forget calls that have completed.
  auto& fl = impl_->in_flight;
  fl.erase(std::remove_if(fl.begin(), fl.end(), [](const auto& s) { return s->completed; }),
           fl.end());

  auto st = std::make_shared<CallState>();
  st->method = std::string(method);
  grpc::Slice slice(request.data(), request.size());  // copies
  st->request = grpc::ByteBuffer(&slice, 1);
  for (const auto& [k, v] : impl_->metadata) st->ctx.AddMetadata(k, v);
  if (options.gzip) st->ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  if (options.deadline != std::chrono::steady_clock::time_point::max()) {
    // gRPC takes a gpr_timespec on its own monotonic clock: carry over what is left on ours.
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        options.deadline - std::chrono::steady_clock::now());
    st->ctx.set_deadline(
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_nanos(std::max<std::int64_t>(left.count(), 0), GPR_TIMESPAN)));
  }
  co_return co_await CallAwaiter(impl_.get(), std::move(st));
}

}  // namespace loadgen::telemetry
