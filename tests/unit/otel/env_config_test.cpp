// OTEL_* environment configuration: parsing rules, endpoints, headers, batch, limits,
// propagators, exporters, sampler.
#include "otel/env_config.hpp"

#include <gtest/gtest.h>

namespace loadgen::otel {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

OtlpExporterConfig otlp(const Env& env, Signal s = Signal::kTraces,
                        std::vector<std::string>* warnings = nullptr) {
  auto c = otlp_exporter_config_from_env(env, s, warnings);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : OtlpExporterConfig{};
}

TEST(EnvReader, GeneralRules) {
  std::vector<std::string> w;
  const Env env{{"EMPTY", ""},   {"T", "TRUE"},  {"F", "false"},        {"JUNK", "yes"},
                {"N", "42"},     {"NEG", "-1"},  {"BIG", "2147483648"}, {"MAX", "2147483647"},
                {"TXT", "12ms"}, {"E", " Gzip "}};
  const EnvReader r(env, &w);
  EXPECT_FALSE(r.get("EMPTY"));
  EXPECT_FALSE(r.get("MISSING"));
  EXPECT_FALSE(r.boolean("EMPTY"));
  EXPECT_EQ(r.boolean("T"), true);
  EXPECT_EQ(r.boolean("F"), false);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r.boolean("JUNK"), false);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(r.integer("N"), 42u);
  EXPECT_EQ(r.integer("MAX"), 2147483647u);
  EXPECT_FALSE(r.integer("NEG"));
  EXPECT_FALSE(r.integer("BIG"));
  EXPECT_FALSE(r.duration("TXT"));
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(r.choice("E", {"gzip", "none"}), "gzip");
  EXPECT_FALSE(r.choice("E", {"none"}));
  EXPECT_EQ(w.size(), 5u);
}

TEST(OtlpEndpoint, Defaults) {
  EXPECT_EQ(otlp({}).endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(otlp({}, Signal::kMetrics).endpoint, "http://localhost:4318/v1/metrics");
  EXPECT_EQ(otlp({}, Signal::kLogs).endpoint, "http://localhost:4318/v1/logs");
  const auto g = otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  EXPECT_EQ(g.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(g.endpoint, "http://localhost:4317");
  EXPECT_FALSE(g.tls);
  EXPECT_EQ(otlp({}).protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "HTTP/JSON"}}).protocol,
            OtlpProtocol::kHttpJson);
}

TEST(OtlpEndpoint, GenericGetsSignalPathWithOneSlash) {
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/mycollector/"}}).endpoint,
            "http://c:4318/mycollector/v1/traces");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/mycollector"}}).endpoint,
            "http://c:4318/mycollector/v1/traces");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}}).endpoint,
            "http://c:4318/v1/traces");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c"}}, Signal::kLogs).endpoint,
            "https://c/v1/logs");
  EXPECT_TRUE(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "HTTPS://c"}}).tls);
}

TEST(OtlpEndpoint, PerSignalUsedAsIs) {
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318"}}).endpoint,
            "http://c:4318/");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom/path"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318"}})
                .endpoint,
            "http://c:4318/custom/path");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/"}}).endpoint,
            "http://c:4318/");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c?x=1"}}).endpoint,
            "http://c/?x=1");
  // Only the traces variable counts for traces.
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:1/x"}}).endpoint,
            "http://localhost:4318/v1/traces");
  EXPECT_EQ(
      otlp({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:1/x"}}, Signal::kMetrics).endpoint,
      "http://m:1/x");
}

TEST(OtlpEndpoint, GrpcNoPathAndInsecure) {
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"}})
                .endpoint,
            "http://c:4317");
  const auto tls =
      otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317"}});
  EXPECT_EQ(tls.endpoint, "https://c:4317");
  EXPECT_TRUE(tls.tls);
  const auto plain = otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                           {"OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317"},
                           {"OTEL_EXPORTER_OTLP_INSECURE", "true"}});
  EXPECT_EQ(plain.endpoint, "http://c:4317");
  EXPECT_FALSE(plain.tls);
  // The scheme wins over insecure.
  EXPECT_TRUE(otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                    {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317"},
                    {"OTEL_EXPORTER_OTLP_INSECURE", "true"}})
                  .tls);
  // Obsolete alias and per-signal precedence.
  EXPECT_TRUE(otlp({{"OTEL_EXPORTER_OTLP_SPAN_INSECURE", "true"}}).insecure);
  EXPECT_FALSE(otlp({{"OTEL_EXPORTER_OTLP_TRACES_INSECURE", "false"},
                     {"OTEL_EXPORTER_OTLP_INSECURE", "true"}})
                   .insecure);
  EXPECT_TRUE(otlp({{"OTEL_EXPORTER_OTLP_METRIC_INSECURE", "true"}}, Signal::kMetrics).insecure);
}

TEST(OtlpEndpoint, InvalidIsAnError) {
  for (const char* bad : {"localhost:4318", "ftp://c", "http://", "http:// c"}) {
    auto c = otlp_exporter_config_from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", bad}}, Signal::kTraces,
                                           nullptr);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, "bad_value");
    EXPECT_NE(c.error().message.find("OTEL_EXPORTER_OTLP_ENDPOINT"), std::string::npos);
  }
}

// Issue 10: an endpoint whose port can never be connected to is a configuration error, and
// the message never shows credentials from the URL.
TEST(OtlpEndpoint, InvalidPortIsAnErrorWithoutCredentials) {
  for (const char* bad : {"http://localhost:99999", "http://localhost:abc", "http://h:0",
                          "http://user:s3cret@localhost:65536/v1", "http://[::1]:1x",
                          "http://h:", "http://user:s3cret@:4318", "http://[::1"}) {
    for (const char* var : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
      auto c = otlp_exporter_config_from_env({{var, bad}}, Signal::kTraces, nullptr);
      ASSERT_FALSE(c.ok()) << bad;
      EXPECT_EQ(c.error().code, "bad_value");
      EXPECT_EQ(c.error().message.rfind(std::string(var) + "=\"", 0), 0u) << c.error().message;
      EXPECT_EQ(c.error().message.find("s3cret"), std::string::npos) << c.error().message;
    }
  }
  auto c = otlp_exporter_config_from_env(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:99999"}}, Signal::kTraces, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "OTEL_EXPORTER_OTLP_ENDPOINT=\"http://localhost:99999\": the port '99999' is not a "
            "number in 1..65535");
  c = otlp_exporter_config_from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:p@h:abc"}},
                                    Signal::kTraces, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "OTEL_EXPORTER_OTLP_ENDPOINT=\"http://REDACTED@h:abc\": the port 'abc' is not a "
            "number in 1..65535");
  // Valid ports, IPv6 and userinfo still pass (the exporter uses the URL as given).
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4318"}}).endpoint,
            "http://[::1]:4318/v1/traces");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://u:p@h:65535/x"}}).endpoint,
            "http://u:p@h:65535/x");
  EXPECT_EQ(otlp({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"}})
                .endpoint,
            "https://collector:4317");
}

// An unusable endpoint of a signal whose OTLP exporter is in use fails the configuration.
TEST(OtlpEndpoint, InvalidPortFailsTheSignalThatUsesIt) {
  EXPECT_FALSE(
      traces_config_from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:99999"}}, nullptr));
  EXPECT_FALSE(logs_config_from_env(
      {{"OTEL_LOGS_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://h:abc"}},
      nullptr));
  EXPECT_TRUE(traces_config_from_env(
      {{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:99999"}},
      nullptr));
}

TEST(OtlpFile, MissingFolderOrAFolderIsAnError) {
  auto t = traces_config_from_env({{"LOADGEN_OTLP_FILE", "/nonexistent-dir/x.jsonl"}}, nullptr);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message,
            "LOADGEN_OTLP_FILE=\"/nonexistent-dir/x.jsonl\": its folder '/nonexistent-dir' does "
            "not exist");
  auto l = logs_config_from_env({{"LOADGEN_OTLP_LOGS_FILE", "/tmp"}}, nullptr);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message, "LOADGEN_OTLP_LOGS_FILE=\"/tmp\": is a folder");
  auto m = metrics_config_from_env({{"LOADGEN_OTLP_METRICS_FILE", "/nonexistent-dir/m"}}, nullptr);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("LOADGEN_OTLP_METRICS_FILE"), std::string::npos);
  EXPECT_TRUE(traces_config_from_env({{"LOADGEN_OTLP_FILE", "/tmp/loadgen-x.jsonl"}}, nullptr));
  EXPECT_TRUE(traces_config_from_env({{"LOADGEN_OTLP_FILE", "relative.jsonl"}}, nullptr));
  EXPECT_TRUE(traces_config_from_env(
      {{"OTEL_SDK_DISABLED", "true"}, {"LOADGEN_OTLP_FILE", "/nonexistent-dir/x"}}, nullptr));
}

TEST(OtlpHeaders, ParseAndMerge) {
  std::vector<std::string> w;
  const auto c = otlp({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=gen, x-team = a%20b ,Shared=g"},
                       {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "shared=t,trace-only=1"}},
                      Signal::kTraces, &w);
  EXPECT_EQ(c.headers,
            (Headers{{"api-key", "gen"}, {"x-team", "a b"}, {"shared", "t"}, {"trace-only", "1"}}));
  EXPECT_TRUE(w.empty());
  const auto m = otlp({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=gen"},
                       {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "shared=t"}},
                      Signal::kMetrics);
  EXPECT_EQ(m.headers, (Headers{{"api-key", "gen"}}));
}

TEST(OtlpHeaders, SkipsMalformed) {
  std::vector<std::string> w;
  const auto h = parse_otlp_headers(
      "ok=1,noeq,=v,empty=,bad%zz=1,sp ace=1,inj=a%0D%0Ab,k=%3D%2C,,dup=1,dup=2", "VAR", &w);
  EXPECT_EQ(h, (Headers{{"ok", "1"}, {"k", "=,"}, {"dup", "2"}}));
  EXPECT_EQ(w.size(), 6u);
  for (const auto& msg : w) EXPECT_EQ(msg.rfind("VAR:", 0), 0u) << msg;
}

// Issue 10: a skipped entry is named by position and key; its value is never echoed.
TEST(OtlpHeaders, WarningsNameTheKeyNeverTheValue) {
  std::vector<std::string> w;
  const auto h = parse_otlp_headers(
      "Authorization Bearer s3cretA,api-key=s3cretB%zz,x-token=s3cretC%0A,bad key=s3cretD,"
      "ok=fine",
      "OTEL_EXPORTER_OTLP_HEADERS", &w);
  EXPECT_EQ(h, (Headers{{"ok", "fine"}}));
  ASSERT_EQ(w.size(), 4u);
  for (const auto& msg : w) EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  EXPECT_EQ(w[0],
            "OTEL_EXPORTER_OTLP_HEADERS: header entry 1 skipped: no '=' (the value is not shown)");
  EXPECT_EQ(w[1],
            "OTEL_EXPORTER_OTLP_HEADERS: header entry 2 (key \"api-key\") skipped: bad %XX "
            "escape (the value is not shown)");
  EXPECT_EQ(w[2],
            "OTEL_EXPORTER_OTLP_HEADERS: header entry 3 (key \"x-token\") skipped: empty value or "
            "control characters (the value is not shown)");
  EXPECT_EQ(w[3],
            "OTEL_EXPORTER_OTLP_HEADERS: header entry 4 (key \"bad\") skipped: the name is not an "
            "HTTP token (the value is not shown)");
}

TEST(OtlpOptions, TimeoutCompressionCertificates) {
  const auto d = otlp({});
  EXPECT_EQ(d.timeout.count(), 10000);
  EXPECT_EQ(d.compression, OtlpCompression::kNone);
  std::vector<std::string> w;
  const auto c = otlp({{"OTEL_EXPORTER_OTLP_TIMEOUT", "5000"},
                       {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0"},
                       {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                       {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "brotli"},
                       {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"},
                       {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/key.pem"},
                       {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/cert.pem"}},
                      Signal::kTraces, &w);
  EXPECT_EQ(c.timeout.count(), 0);                   // 0 = no limit; per-signal wins
  EXPECT_EQ(c.compression, OtlpCompression::kGzip);  // invalid per-signal ignored → generic
  EXPECT_EQ(c.certificate_file, "/ca.pem");
  EXPECT_EQ(c.client_key_file, "/key.pem");
  EXPECT_EQ(c.client_certificate_file, "/cert.pem");
  EXPECT_EQ(w.size(), 1u);
  const auto bad = otlp({{"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"}}, Signal::kTraces, &w);
  EXPECT_EQ(bad.timeout.count(), 10000);
  EXPECT_EQ(w.size(), 2u);
}

TEST(Batch, DefaultsAndValidation) {
  std::vector<std::string> w;
  const auto d = batch_config_from_env({}, "OTEL_BSP_", kBspDefaults, &w);
  EXPECT_EQ(d.schedule_delay.count(), 5000);
  EXPECT_EQ(d.export_timeout.count(), 30000);
  EXPECT_EQ(d.max_queue_size, 2048u);
  EXPECT_EQ(d.max_export_batch_size, 512u);
  EXPECT_EQ(batch_config_from_env({}, "OTEL_BLRP_", kBlrpDefaults, &w).schedule_delay.count(),
            1000);
  EXPECT_TRUE(w.empty());
  const auto c = batch_config_from_env({{"OTEL_BSP_SCHEDULE_DELAY", "100"},
                                        {"OTEL_BSP_MAX_QUEUE_SIZE", "0"},
                                        {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"},
                                        {"OTEL_BSP_EXPORT_TIMEOUT", "x"}},
                                       "OTEL_BSP_", kBspDefaults, &w);
  EXPECT_EQ(c.schedule_delay.count(), 100);
  EXPECT_EQ(c.export_timeout.count(), 30000);
  EXPECT_EQ(c.max_queue_size, 2048u);
  EXPECT_EQ(c.max_export_batch_size, 2048u);  // lowered to the queue size
  EXPECT_EQ(w.size(), 3u);
}

TEST(Limits, Precedence) {
  const auto d = span_limits_from_env({}, nullptr);
  EXPECT_FALSE(d.attribute_value_length_limit);
  EXPECT_EQ(d.attribute_count_limit, 128u);
  EXPECT_EQ(d.event_count_limit, 128u);
  const auto g = span_limits_from_env(
      {{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"}, {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"}},
      nullptr);
  EXPECT_EQ(g.attribute_count_limit, 10u);
  EXPECT_EQ(g.attribute_value_length_limit, 100u);
  EXPECT_EQ(g.event_attribute_count_limit, 10u);
  EXPECT_EQ(g.link_attribute_count_limit, 10u);
  EXPECT_EQ(g.event_count_limit, 128u);  // no general counterpart
  const auto s = span_limits_from_env({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                                       {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"},
                                       {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"},
                                       {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "0"},
                                       {"OTEL_SPAN_EVENT_COUNT_LIMIT", "5"},
                                       {"OTEL_SPAN_LINK_COUNT_LIMIT", "6"},
                                       {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "7"},
                                       {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "8"}},
                                      nullptr);
  EXPECT_EQ(s.attribute_count_limit, 20u);
  EXPECT_EQ(s.attribute_value_length_limit, 0u);
  EXPECT_EQ(s.event_count_limit, 5u);
  EXPECT_EQ(s.link_count_limit, 6u);
  EXPECT_EQ(s.event_attribute_count_limit, 7u);
  EXPECT_EQ(s.link_attribute_count_limit, 8u);
  const auto l = log_record_limits_from_env(
      {{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"}, {"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3"}},
      nullptr);
  EXPECT_EQ(l.attribute_count_limit, 10u);
  EXPECT_EQ(l.attribute_value_length_limit, 3u);
}

TEST(Propagators, ListRules) {
  std::vector<std::string> w;
  EXPECT_EQ(propagators_from_env({}, &w),
            (std::vector<Propagator>{Propagator::kTraceContext, Propagator::kBaggage}));
  EXPECT_EQ(propagators_from_env({{"OTEL_PROPAGATORS", ""}}, &w).size(), 2u);
  EXPECT_EQ(
      propagators_from_env({{"OTEL_PROPAGATORS", " B3 ,tracecontext,b3,b3multi,baggage"}}, &w),
      (std::vector<Propagator>{Propagator::kB3, Propagator::kTraceContext, Propagator::kB3Multi,
                               Propagator::kBaggage}));
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(propagators_from_env({{"OTEL_PROPAGATORS", "none"}}, &w).empty());
  EXPECT_EQ(propagators_from_env({{"OTEL_PROPAGATORS", "xray,bogus,baggage"}}, &w),
            (std::vector<Propagator>{Propagator::kBaggage}));
  EXPECT_EQ(w.size(), 2u);
}

TEST(Exporters, Selection) {
  std::vector<std::string> w;
  EXPECT_EQ(exporters_from_env({}, Signal::kTraces, &w).kinds,
            (std::vector<ExporterKind>{ExporterKind::kOtlp}));
  EXPECT_TRUE(
      exporters_from_env({{"OTEL_TRACES_EXPORTER", "none"}}, Signal::kTraces, &w).kinds.empty());
  EXPECT_EQ(exporters_from_env({{"OTEL_TRACES_EXPORTER", "otlp,Console,logging,otlp"}},
                               Signal::kTraces, &w)
                .kinds,
            (std::vector<ExporterKind>{ExporterKind::kOtlp, ExporterKind::kConsole}));
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(exporters_from_env({{"OTEL_TRACES_EXPORTER", "zipkin,prometheus,otlp/stdout"}},
                               Signal::kTraces, &w)
                .kinds,
            (std::vector<ExporterKind>{ExporterKind::kOtlpStdout}));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(
      exporters_from_env({{"OTEL_METRICS_EXPORTER", "prometheus"}}, Signal::kMetrics, &w).kinds,
      (std::vector<ExporterKind>{ExporterKind::kPrometheus}));
  // loadgen's file exporter replaces the default otlp, adds to an explicit list.
  const auto file =
      exporters_from_env({{"LOADGEN_OTLP_FILE", "/tmp/t.jsonl"}}, Signal::kTraces, &w);
  EXPECT_EQ(file.kinds, (std::vector<ExporterKind>{ExporterKind::kOtlpFile}));
  EXPECT_EQ(file.otlp_file_path, "/tmp/t.jsonl");
  const auto both = exporters_from_env({{"LOADGEN_OTLP_FILE", "/tmp/all.jsonl"},
                                        {"LOADGEN_OTLP_TRACES_FILE", "/tmp/traces.jsonl"},
                                        {"OTEL_TRACES_EXPORTER", "otlp"}},
                                       Signal::kTraces, &w);
  EXPECT_EQ(both.kinds, (std::vector<ExporterKind>{ExporterKind::kOtlp, ExporterKind::kOtlpFile}));
  EXPECT_EQ(both.otlp_file_path, "/tmp/traces.jsonl");
}

TEST(SamplerEnv, Parsing) {
  std::vector<std::string> w;
  auto s = sampler_from_env({}, &w);
  EXPECT_EQ(s.kind, SamplerKind::kParentBasedAlwaysOn);
  s = sampler_from_env(
      {{"OTEL_TRACES_SAMPLER", "TraceIdRatio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}}, &w);
  EXPECT_EQ(s.kind, SamplerKind::kTraceIdRatio);
  EXPECT_DOUBLE_EQ(s.ratio, 0.25);
  s = sampler_from_env({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}}, &w);
  EXPECT_EQ(s.kind, SamplerKind::kParentBasedTraceIdRatio);
  EXPECT_DOUBLE_EQ(s.ratio, 1.0);
  EXPECT_EQ(sampler_from_env({{"OTEL_TRACES_SAMPLER", "always_off"}}, &w).kind,
            SamplerKind::kAlwaysOff);
  EXPECT_EQ(sampler_from_env({{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}}, &w).kind,
            SamplerKind::kParentBasedAlwaysOff);
  EXPECT_EQ(sampler_from_env(
                {{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "junk"}}, &w)
                .kind,
            SamplerKind::kAlwaysOn);
  EXPECT_TRUE(w.empty());  // the argument only matters to ratio samplers
  for (const char* bad : {"1.5", "-0.1", "abc", "0.5x", "nan"}) {
    s = sampler_from_env(
        {{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", bad}}, &w);
    EXPECT_DOUBLE_EQ(s.ratio, 1.0) << bad;
  }
  EXPECT_EQ(w.size(), 5u);
  w.clear();
  for (const char* remote : {"jaeger_remote", "parentbased_jaeger_remote", "xray", "bogus"}) {
    EXPECT_EQ(sampler_from_env({{"OTEL_TRACES_SAMPLER", remote}}, &w).kind,
              SamplerKind::kParentBasedAlwaysOn);
  }
  EXPECT_EQ(w.size(), 4u);
}

TEST(TracesConfig, EverythingTogether) {
  std::vector<std::string> w;
  auto c = traces_config_from_env({}, &w);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(c->sdk_disabled);
  EXPECT_EQ(c->otlp.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(c->batch.max_queue_size, 2048u);

  c = traces_config_from_env({{"OTEL_SDK_DISABLED", "TRUE"},
                              {"OTEL_PROPAGATORS", "b3multi"},
                              {"OTEL_CONFIG_FILE", "/etc/otel.yaml"}},
                             &w);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->sdk_disabled);
  EXPECT_EQ(c->propagators, (std::vector<Propagator>{Propagator::kB3Multi}));  // still applies
  EXPECT_EQ(w.size(), 1u);

  // A bad endpoint fails only when the OTLP exporter is in use.
  c = traces_config_from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "nope"}}, &w);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "bad_value");
  c = traces_config_from_env(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "nope"}, {"OTEL_TRACES_EXPORTER", "console"}}, &w);
  EXPECT_TRUE(c.ok());
}

// ---- metrics ----

MetricsConfig metrics(const Env& env, std::vector<std::string>* warnings = nullptr) {
  auto c = metrics_config_from_env(env, warnings);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : MetricsConfig{};
}

bool mentions(const std::vector<std::string>& w, std::string_view var, std::string_view value) {
  return w.size() == 1 && w[0].find(var) != std::string::npos &&
         w[0].find(value) != std::string::npos;
}

TEST(MetricsEnv, Defaults) {
  std::vector<std::string> w;
  const auto c = metrics({}, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(c.sdk_disabled);
  EXPECT_EQ(c.exporters.kinds, std::vector<ExporterKind>{ExporterKind::kOtlp});
  EXPECT_EQ(c.export_interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.export_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.exemplar_filter, metrics::ExemplarFilter::kTraceBased);
  EXPECT_EQ(c.temporality, metrics::TemporalityPreference::kCumulative);
  EXPECT_EQ(c.histogram_aggregation, metrics::HistogramAggregation::kExplicitBucket);
  EXPECT_EQ(c.otlp.signal, Signal::kMetrics);
  EXPECT_EQ(c.otlp.endpoint, "http://localhost:4318/v1/metrics");
  EXPECT_EQ(c.prometheus_host, "localhost");
  EXPECT_EQ(c.prometheus_port, 9464);
  EXPECT_EQ(MetricsConfig{}.otlp.endpoint, "http://localhost:4318/v1/metrics");
}

TEST(MetricsEnv, SdkDisabled) {
  EXPECT_TRUE(metrics({{"OTEL_SDK_DISABLED", "TRUE"}}).sdk_disabled);
  EXPECT_FALSE(metrics({{"OTEL_SDK_DISABLED", "false"}}).sdk_disabled);
  std::vector<std::string> w;
  EXPECT_FALSE(metrics({{"OTEL_SDK_DISABLED", "1"}}, &w).sdk_disabled);
  EXPECT_TRUE(mentions(w, "OTEL_SDK_DISABLED", "1"));
}

TEST(MetricsEnv, Exporters) {
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXPORTER", "console, Prometheus"}}).exporters.kinds,
            (std::vector<ExporterKind>{ExporterKind::kConsole, ExporterKind::kPrometheus}));
  EXPECT_TRUE(metrics({{"OTEL_METRICS_EXPORTER", "none"}}).exporters.kinds.empty());
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXPORTER", "otlp,otlp"}}).exporters.kinds,
            std::vector<ExporterKind>{ExporterKind::kOtlp});
  std::vector<std::string> w;
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXPORTER", "zipkin,otlp"}}, &w).exporters.kinds,
            std::vector<ExporterKind>{ExporterKind::kOtlp});
  EXPECT_TRUE(mentions(w, "OTEL_METRICS_EXPORTER", "zipkin"));
}

TEST(MetricsEnv, IntervalAndTimeout) {
  const auto c =
      metrics({{"OTEL_METRIC_EXPORT_INTERVAL", "5000"}, {"OTEL_METRIC_EXPORT_TIMEOUT", "0"}});
  EXPECT_EQ(c.export_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.export_timeout, std::chrono::milliseconds(0));  // no limit
  std::vector<std::string> w;
  EXPECT_EQ(metrics({{"OTEL_METRIC_EXPORT_INTERVAL", "10s"}}, &w).export_interval,
            std::chrono::milliseconds(60000));
  EXPECT_TRUE(mentions(w, "OTEL_METRIC_EXPORT_INTERVAL", "10s"));
  w.clear();
  EXPECT_EQ(metrics({{"OTEL_METRIC_EXPORT_INTERVAL", "0"}}, &w).export_interval,
            std::chrono::milliseconds(60000));
  EXPECT_TRUE(mentions(w, "OTEL_METRIC_EXPORT_INTERVAL", "0"));
  w.clear();
  EXPECT_EQ(metrics({{"OTEL_METRIC_EXPORT_TIMEOUT", "-5"}}, &w).export_timeout,
            std::chrono::milliseconds(30000));
  EXPECT_TRUE(mentions(w, "OTEL_METRIC_EXPORT_TIMEOUT", "-5"));
  EXPECT_EQ(metrics({{"OTEL_METRIC_EXPORT_INTERVAL", ""}}).export_interval,
            std::chrono::milliseconds(60000));  // empty = unset
}

TEST(MetricsEnv, ExemplarFilter) {
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}}).exemplar_filter,
            metrics::ExemplarFilter::kAlwaysOn);
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXEMPLAR_FILTER", "ALWAYS_OFF"}}).exemplar_filter,
            metrics::ExemplarFilter::kAlwaysOff);
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXEMPLAR_FILTER", "trace_based"}}).exemplar_filter,
            metrics::ExemplarFilter::kTraceBased);
  std::vector<std::string> w;
  EXPECT_EQ(metrics({{"OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"}}, &w).exemplar_filter,
            metrics::ExemplarFilter::kTraceBased);
  EXPECT_TRUE(mentions(w, "OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"));
}

TEST(MetricsEnv, TemporalityPreference) {
  const char* var = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
  EXPECT_EQ(metrics({{var, "Cumulative"}}).temporality,
            metrics::TemporalityPreference::kCumulative);
  EXPECT_EQ(metrics({{var, "DELTA"}}).temporality, metrics::TemporalityPreference::kDelta);
  EXPECT_EQ(metrics({{var, "LowMemory"}}).temporality, metrics::TemporalityPreference::kLowMemory);
  std::vector<std::string> w;
  EXPECT_EQ(metrics({{var, "low_memory"}}, &w).temporality,
            metrics::TemporalityPreference::kCumulative);
  EXPECT_TRUE(mentions(w, var, "low_memory"));
}

TEST(MetricsEnv, DefaultHistogramAggregation) {
  const char* var = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
  EXPECT_EQ(metrics({{var, "base2_exponential_bucket_histogram"}}).histogram_aggregation,
            metrics::HistogramAggregation::kBase2Exponential);
  EXPECT_EQ(metrics({{var, "Explicit_Bucket_Histogram"}}).histogram_aggregation,
            metrics::HistogramAggregation::kExplicitBucket);
  std::vector<std::string> w;
  EXPECT_EQ(metrics({{var, "exponential"}}, &w).histogram_aggregation,
            metrics::HistogramAggregation::kExplicitBucket);
  EXPECT_TRUE(mentions(w, var, "exponential"));
}

TEST(MetricsEnv, OtlpExporterForMetrics) {
  auto c = metrics({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                    {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"},
                    {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:4317"},
                    {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "2500"},
                    {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "a=b"}});
  EXPECT_EQ(c.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.otlp.endpoint, "http://m:4317");
  EXPECT_EQ(c.otlp.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.otlp.headers, (Headers{{"a", "b"}}));
  EXPECT_EQ(metrics({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/x"}}).otlp.endpoint,
            "http://c:4318/x/v1/metrics");
  // A broken endpoint fails only when the OTLP exporter is used.
  EXPECT_FALSE(
      metrics_config_from_env({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "c:4318"}}, nullptr).ok());
  std::vector<std::string> w;
  EXPECT_TRUE(metrics_config_from_env({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "c:4318"},
                                       {"OTEL_METRICS_EXPORTER", "prometheus"}},
                                      &w)
                  .ok());
  EXPECT_TRUE(mentions(w, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "c:4318"));
  EXPECT_TRUE(metrics_config_from_env({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "c:4318"},
                                       {"OTEL_SDK_DISABLED", "true"}},
                                      nullptr)
                  .ok());
}

TEST(MetricsEnv, Prometheus) {
  auto c = metrics(
      {{"OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0"}, {"OTEL_EXPORTER_PROMETHEUS_PORT", "9999"}});
  EXPECT_EQ(c.prometheus_host, "0.0.0.0");
  EXPECT_EQ(c.prometheus_port, 9999);
  for (const char* bad : {"70000", "0", "port"}) {
    std::vector<std::string> w;
    EXPECT_EQ(metrics({{"OTEL_EXPORTER_PROMETHEUS_PORT", bad}}, &w).prometheus_port, 9464) << bad;
    EXPECT_TRUE(mentions(w, "OTEL_EXPORTER_PROMETHEUS_PORT", bad)) << bad;
  }
}

}  // namespace
}  // namespace loadgen::otel
