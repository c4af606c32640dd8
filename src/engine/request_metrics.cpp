#include "engine/request_metrics.hpp"

#include <array>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/clock.hpp"
#include "http/method.hpp"
#include "otel/metrics/metric_stream.hpp"
#include "otel/metrics/series_storage.hpp"

namespace loadgen::engine {

namespace om = otel::metrics;

namespace {

// Process-wide append-only string table: request names and server addresses get a small id
// once; workers cache the ids, the metrics thread turns them back into strings.
class Interner {
 public:
  static constexpr std::size_t kMaxStrings = 10000;  // beyond: "(other)"
  static Interner& global() {
    static Interner in;
    return in;
  }
  std::pair<std::string_view, std::uint32_t> id(std::string_view s) {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(s); it != index_.end()) return {it->first, it->second};
    if (strings_.size() >= kMaxStrings) return {strings_[0], 0};
    strings_.emplace_back(s);
    const auto id = static_cast<std::uint32_t>(strings_.size() - 1);
    index_.emplace(strings_.back(), id);
    return {strings_.back(), id};
  }
  std::string str(std::uint32_t id) {
    std::lock_guard lock(mu_);
    return id < strings_.size() ? strings_[id] : std::string();
  }

 private:
  Interner() {
    strings_.emplace_back("(other)");
    index_.emplace(strings_.back(), 0);
  }
  std::mutex mu_;
  std::deque<std::string> strings_;  // stable addresses: the index and workers view them
  std::unordered_map<std::string_view, std::uint32_t> index_;
};

using ExplStorage = om::SeriesStorage<RequestKey, om::ExplicitHistogramAggregator, RequestKeyHash>;
using ExpoStorage =
    om::SeriesStorage<RequestKey, om::ExponentialHistogramAggregator, RequestKeyHash>;
using ExplDelta = om::Delta<RequestKey, om::ExplicitHistogramAggregator>;
using ExpoDelta = om::Delta<RequestKey, om::ExponentialHistogramAggregator>;
using CountAgg = om::SumAggregator<std::int64_t>;
using CountStorage = om::SeriesStorage<RequestCountKey, CountAgg, RequestCountKeyHash>;
using CountDelta = om::Delta<RequestCountKey, CountAgg>;
// loadgen.eventloop.delay's one series per worker.
struct WorkerKey {
  std::uint32_t index = 0;
  bool operator==(const WorkerKey&) const = default;
};
struct WorkerKeyHash {
  std::size_t operator()(const WorkerKey& k) const { return k.index; }
};
using DelayStorage = om::SeriesStorage<WorkerKey, om::ExplicitHistogramAggregator, WorkerKeyHash>;
using DelayDelta = om::Delta<WorkerKey, om::ExplicitHistogramAggregator>;

// loadgen.eventloop.delay's buckets (seconds): the timer's own slack is tens of microseconds;
// a loop busy for whole milliseconds delays every request it times.
std::vector<double> delay_bounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
}

bool exponential(const RequestMetricsConfig& c) {
  return c.aggregation == om::HistogramAggregation::kBase2Exponential;
}

// The HTTP client semantic conventions' attribute set of http.client.request.duration.
otel::Attributes attributes_of(const RequestKey& k) {
  Interner& in = Interner::global();
  otel::Attributes a;
  a.reserve(8);
  a.push_back(
      {"http.request.method", {std::string(http::to_string(static_cast<http::Method>(k.method)))}});
  if (k.status > 0) a.push_back({"http.response.status_code", {std::int64_t{k.status}}});
  a.push_back({"server.address", {in.str(k.address)}});
  a.push_back({"server.port", {std::int64_t{k.port}}});
  a.push_back({"url.scheme", {std::string(k.tls ? "https" : "http")}});
  a.push_back({"network.protocol.version", {std::string("1.1")}});
  const auto outcome = static_cast<client::Outcome>(k.outcome);
  if (outcome == client::Outcome::kHttpStatus) {
    a.push_back({"error.type", {std::to_string(k.status)}});
  } else if (outcome != client::Outcome::kOk) {
    a.push_back({"error.type", {std::string(client::to_string(outcome))}});
  }
  if (k.name != RequestKey::kNoName) a.push_back({"loadgen.request.name", {in.str(k.name)}});
  return a;
}

std::string_view outcome_name(client::Outcome o) {
  return o == client::Outcome::kOk ? std::string_view("ok") : client::to_string(o);
}

otel::Attributes count_attributes_of(const RequestCountKey& k) {
  otel::Attributes a;
  a.reserve(3);
  a.push_back({"loadgen.request.name", {Interner::global().str(k.name)}});
  a.push_back(
      {"http.request.method", {std::string(http::to_string(static_cast<http::Method>(k.method)))}});
  a.push_back({"loadgen.request.outcome",
               {std::string(outcome_name(static_cast<client::Outcome>(k.outcome)))}});
  return a;
}

otel::Attributes delay_attributes_of(const WorkerKey& worker) {
  return {{"thread.name", {worker_thread_name(worker.index)}}};
}

om::StreamDescriptor descriptor(std::string name, std::string description, std::string unit,
                                om::InstrumentKind kind, const RequestMetricsConfig& c) {
  om::StreamDescriptor d;
  d.name = std::move(name);
  d.description = std::move(description);
  d.unit = std::move(unit);
  d.kind = kind;
  d.temporality = om::temporality_for(c.temporality, kind);
  return d;
}

om::StreamDescriptor duration_descriptor(const RequestMetricsConfig& c) {
  return descriptor("http.client.request.duration", "Duration of HTTP client requests.", "s",
                    om::InstrumentKind::kHistogram, c);
}
om::StreamDescriptor count_descriptor(const RequestMetricsConfig& c) {
  return descriptor("loadgen.requests",
                    "Requests as the stats table counts them, by name, method and outcome.",
                    "{request}", om::InstrumentKind::kCounter, c);
}
om::StreamDescriptor delay_descriptor(const RequestMetricsConfig& c) {
  return descriptor("loadgen.eventloop.delay",
                    "How late a worker's event loop ran its 20 ms timer.", "s",
                    om::InstrumentKind::kHistogram, c);
}

}  // namespace

std::size_t RequestKeyHash::operator()(const RequestKey& k) const {
  std::uint64_t h = (std::uint64_t{k.name} << 32) ^ k.address;
  h ^= (std::uint64_t{k.port} << 48) ^ (std::uint64_t{k.status} << 16) ^
       (std::uint64_t{k.method} << 8) ^ k.outcome ^ (std::uint64_t{k.tls} << 40);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

std::size_t RequestCountKeyHash::operator()(const RequestCountKey& k) const {
  std::uint64_t h = (std::uint64_t{k.name} << 16) ^ (std::uint64_t{k.method} << 8) ^ k.outcome;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

std::string worker_thread_name(std::uint32_t index) { return "loadgen-w" + std::to_string(index); }

struct RequestMetrics::Delta {
  std::optional<ExplDelta> expl;
  std::optional<ExpoDelta> expo;
  CountDelta counts;
  DelayDelta delay;
};

struct RequestMetrics::Impl {
  Impl(const RequestMetricsConfig& c, std::uint64_t seed, std::uint32_t w)
      : cfg(c),
        rng(seed),
        worker(w),
        counts(nullptr,
               om::StorageOptions{om::kDefaultCardinalityLimit, om::ExemplarFilter::kAlwaysOff},
               rng, static_cast<std::uint64_t>(core::wall_ns())),
        delay(om::make_explicit_config(delay_bounds()),
              om::StorageOptions{1, om::ExemplarFilter::kAlwaysOff}, rng,
              static_cast<std::uint64_t>(core::wall_ns())) {
    const om::StorageOptions opt{om::kDefaultCardinalityLimit, c.exemplar_filter};
    const auto now = static_cast<std::uint64_t>(core::wall_ns());
    if (exponential(c)) {
      expo.emplace(nullptr, opt, rng, now);
    } else {
      expl.emplace(om::make_explicit_config(om::http_duration_bounds()), opt, rng, now);
    }
  }
  std::uint32_t intern(std::string_view s) {
    // A request interns its name and its server's address: the last few strings answer most
    // calls without hashing (their views point into the interner, which never moves them).
    if (!s.empty()) {
      for (const Recent& r : recent) {
        if (r.text.size() == s.size() && r.text == s) return r.id;
      }
    }
    if (auto it = cache.find(s); it != cache.end()) {
      remember(it->first, it->second);
      return it->second;
    }
    if (table_full) return 0;  // "(other)", without the process-wide lock
    const auto [view, id] = Interner::global().id(s);
    if (id == 0 && s != view) {
      table_full = true;  // the table no longer grows: every new string is "(other)"
      return 0;
    }
    cache.emplace(view, id);
    remember(view, id);
    return id;
  }
  void remember(std::string_view view, std::uint32_t id) {
    if (view.empty()) return;  // unused entries are empty: never a match
    recent[next_recent] = Recent{view, id};
    next_recent = (next_recent + 1) % kRecent;
  }
  bool table_full = false;
  struct Recent {
    std::string_view text;  // empty: unused (an empty string is looked up the slow way)
    std::uint32_t id = 0;
  };
  static constexpr std::size_t kRecent = 4;
  std::array<Recent, kRecent> recent{};
  std::size_t next_recent = 0;

  RequestMetricsConfig cfg;
  core::Rng rng;
  std::uint32_t worker;
  std::optional<ExplStorage> expl;
  std::optional<ExpoStorage> expo;
  CountStorage counts;
  DelayStorage delay;
  std::unordered_map<std::string_view, std::uint32_t> cache;  // views into the interner
};

RequestMetrics::RequestMetrics(const RequestMetricsConfig& cfg, std::uint64_t seed,
                               std::uint32_t worker)
    : impl_(std::make_unique<Impl>(cfg, seed, worker)) {}
RequestMetrics::~RequestMetrics() = default;

void RequestMetrics::record(const client::AttemptRecord& a) {
  if (a.outcome == client::Outcome::kCancelled) return;  // not a finished request
  RequestKey k;
  if (impl_->cfg.request_name && a.named) k.name = impl_->intern(a.name);
  k.tls = a.tls;
  k.address = impl_->intern(a.server_address);
  k.port = a.server_port;
  k.status = static_cast<std::uint16_t>(a.status > 0 ? a.status : 0);
  k.method = static_cast<std::uint8_t>(a.method);
  k.outcome = static_cast<std::uint8_t>(a.outcome);
  const double seconds = static_cast<double>(a.duration_ns) * 1e-9;  // monotonic
  om::MeasurementContext ctx;
  ctx.time_unix_nano = static_cast<std::uint64_t>(a.end_wall_ns);
  ctx.trace_id = a.trace_id;
  ctx.span_id = a.span_id;
  ctx.sampled = (a.trace_flags & 0x01) != 0;
  if (impl_->expl) {
    impl_->expl->record(k, seconds, ctx);
  } else {
    impl_->expo->record(k, seconds, ctx);
  }
}

void RequestMetrics::record(const client::RequestRecord& r) {
  if (r.outcome == client::Outcome::kCancelled) return;  // not in the stats table either
  RequestCountKey k;
  k.name = impl_->intern(r.name);
  k.method = static_cast<std::uint8_t>(r.method);
  k.outcome = static_cast<std::uint8_t>(r.outcome);
  om::MeasurementContext ctx;
  ctx.time_unix_nano = static_cast<std::uint64_t>(r.start_wall_ns + r.duration_ns);
  impl_->counts.record(k, 1, ctx);
}

void RequestMetrics::record_loop_delay(std::int64_t delay_ns) {
  om::MeasurementContext ctx;
  ctx.time_unix_nano = static_cast<std::uint64_t>(core::wall_ns());
  impl_->delay.record(WorkerKey{impl_->worker}, static_cast<double>(delay_ns) * 1e-9, ctx);
}

std::shared_ptr<RequestMetrics::Delta> RequestMetrics::take(std::uint64_t now_unix_nano) {
  auto d = std::make_shared<Delta>();
  if (impl_->expl) d->expl.emplace(impl_->expl->take_delta(now_unix_nano));
  if (impl_->expo) d->expo.emplace(impl_->expo->take_delta(now_unix_nano));
  d->counts = impl_->counts.take_delta(now_unix_nano);
  d->delay = impl_->delay.take_delta(now_unix_nano);
  return d;
}

struct RequestMetricStream::Impl {
  Impl(const RequestMetricsConfig& c, std::uint64_t creation)
      : rng(creation ^ 0x9E37u),
        counts(count_descriptor(c), nullptr, &count_attributes_of, rng, creation, false),
        delay(delay_descriptor(c), om::make_explicit_config(delay_bounds()), &delay_attributes_of,
              rng, creation, false) {
    const bool exemplars = c.exemplar_filter != om::ExemplarFilter::kAlwaysOff;
    if (exponential(c)) {
      expo.emplace(duration_descriptor(c), nullptr, &attributes_of, rng, creation, exemplars);
    } else {
      expl.emplace(duration_descriptor(c), om::make_explicit_config(om::http_duration_bounds()),
                   &attributes_of, rng, creation, exemplars);
    }
  }
  core::Rng rng;
  std::optional<om::MetricStream<RequestKey, om::ExplicitHistogramAggregator>> expl;
  std::optional<om::MetricStream<RequestKey, om::ExponentialHistogramAggregator>> expo;
  om::MetricStream<RequestCountKey, CountAgg> counts;
  om::MetricStream<WorkerKey, om::ExplicitHistogramAggregator> delay;
};

RequestMetricStream::RequestMetricStream(const RequestMetricsConfig& cfg,
                                         std::uint64_t creation_unix_nano)
    : impl_(std::make_unique<Impl>(cfg, creation_unix_nano)) {}
RequestMetricStream::~RequestMetricStream() = default;

void RequestMetricStream::merge(const RequestMetrics::Delta& d) {
  if (impl_->expl && d.expl) impl_->expl->merge(*d.expl);
  if (impl_->expo && d.expo) impl_->expo->merge(*d.expo);
  impl_->counts.merge(d.counts);
  impl_->delay.merge(d.delay);
}

void RequestMetricStream::collect(std::uint64_t now_unix_nano, std::vector<otel::Metric>& out) {
  out.push_back(impl_->expl ? impl_->expl->collect(now_unix_nano)
                            : impl_->expo->collect(now_unix_nano));
  out.push_back(impl_->counts.collect(now_unix_nano));
  out.push_back(impl_->delay.collect(now_unix_nano));
}

}  // namespace loadgen::engine
