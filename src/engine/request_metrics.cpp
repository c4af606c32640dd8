#include "engine/request_metrics.hpp"

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

bool exponential(const RequestMetricsConfig& c) {
  return c.aggregation == om::HistogramAggregation::kBase2Exponential;
}

otel::Attributes attributes_of(const RequestKey& k) {
  Interner& in = Interner::global();
  otel::Attributes a;
  a.reserve(6);
  a.push_back({"http.request.method",
               {std::string(http::to_string(static_cast<http::Method>(k.method)))}});
  if (k.status > 0) a.push_back({"http.response.status_code", {std::int64_t{k.status}}});
  a.push_back({"server.address", {in.str(k.address)}});
  a.push_back({"server.port", {std::int64_t{k.port}}});
  const auto outcome = static_cast<client::Outcome>(k.outcome);
  if (outcome == client::Outcome::kHttpStatus) {
    a.push_back({"error.type", {std::to_string(k.status)}});
  } else if (outcome != client::Outcome::kOk) {
    a.push_back({"error.type", {std::string(client::to_string(outcome))}});
  }
  a.push_back({"loadgen.request.name", {in.str(k.name)}});
  return a;
}

om::StreamDescriptor descriptor(const RequestMetricsConfig& c) {
  om::StreamDescriptor d;
  d.name = "http.client.request.duration";
  d.description = "Duration of HTTP client requests.";
  d.unit = "s";
  d.kind = om::InstrumentKind::kHistogram;
  d.temporality = om::temporality_for(c.temporality, om::InstrumentKind::kHistogram);
  return d;
}

}  // namespace

std::size_t RequestKeyHash::operator()(const RequestKey& k) const {
  std::uint64_t h = (std::uint64_t{k.name} << 32) ^ k.address;
  h ^= (std::uint64_t{k.port} << 48) ^ (std::uint64_t{k.status} << 16) ^
       (std::uint64_t{k.method} << 8) ^ k.outcome;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

struct RequestMetrics::Delta {
  std::optional<ExplDelta> expl;
  std::optional<ExpoDelta> expo;
};

struct RequestMetrics::Impl {
  explicit Impl(const RequestMetricsConfig& c, std::uint64_t seed) : cfg(c), rng(seed) {
    const om::StorageOptions opt{om::kDefaultCardinalityLimit, c.exemplar_filter};
    const auto now = static_cast<std::uint64_t>(core::wall_ns());
    if (exponential(c)) {
      expo.emplace(nullptr, opt, rng, now);
    } else {
      expl.emplace(om::make_explicit_config(om::http_duration_bounds()), opt, rng, now);
    }
  }
  std::uint32_t intern(std::string_view s) {
    if (auto it = cache.find(s); it != cache.end()) return it->second;
    if (table_full) return 0;  // "(other)", without the process-wide lock
    const auto [view, id] = Interner::global().id(s);
    if (id == 0 && s != view) {
      table_full = true;  // the table no longer grows: every new string is "(other)"
      return 0;
    }
    cache.emplace(view, id);
    return id;
  }
  bool table_full = false;

  RequestMetricsConfig cfg;
  core::Rng rng;
  std::optional<ExplStorage> expl;
  std::optional<ExpoStorage> expo;
  std::unordered_map<std::string_view, std::uint32_t> cache;  // views into the interner
};

RequestMetrics::RequestMetrics(const RequestMetricsConfig& cfg, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(cfg, seed)) {}
RequestMetrics::~RequestMetrics() = default;

void RequestMetrics::record(const client::AttemptRecord& a) {
  if (a.outcome == client::Outcome::kCancelled) return;  // not a finished request
  RequestKey k;
  k.name = impl_->intern(a.name);
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

std::shared_ptr<RequestMetrics::Delta> RequestMetrics::take(std::uint64_t now_unix_nano) {
  auto d = std::make_shared<Delta>();
  if (impl_->expl) d->expl.emplace(impl_->expl->take_delta(now_unix_nano));
  if (impl_->expo) d->expo.emplace(impl_->expo->take_delta(now_unix_nano));
  return d;
}

struct RequestMetricStream::Impl {
  Impl(const RequestMetricsConfig& c, std::uint64_t creation) : rng(creation ^ 0x9E37u) {
    const bool exemplars = c.exemplar_filter != om::ExemplarFilter::kAlwaysOff;
    if (exponential(c)) {
      expo.emplace(descriptor(c), nullptr, &attributes_of, rng, creation, exemplars);
    } else {
      expl.emplace(descriptor(c), om::make_explicit_config(om::http_duration_bounds()),
                   &attributes_of, rng, creation, exemplars);
    }
  }
  core::Rng rng;
  std::optional<om::MetricStream<RequestKey, om::ExplicitHistogramAggregator>> expl;
  std::optional<om::MetricStream<RequestKey, om::ExponentialHistogramAggregator>> expo;
};

RequestMetricStream::RequestMetricStream(const RequestMetricsConfig& cfg,
                                         std::uint64_t creation_unix_nano)
    : impl_(std::make_unique<Impl>(cfg, creation_unix_nano)) {}
RequestMetricStream::~RequestMetricStream() = default;

void RequestMetricStream::merge(const RequestMetrics::Delta& d) {
  if (impl_->expl && d.expl) impl_->expl->merge(*d.expl);
  if (impl_->expo && d.expo) impl_->expo->merge(*d.expo);
}

otel::Metric RequestMetricStream::collect(std::uint64_t now_unix_nano) {
  return impl_->expl ? impl_->expl->collect(now_unix_nano) : impl_->expo->collect(now_unix_nano);
}

}  // namespace loadgen::engine
