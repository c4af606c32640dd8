// Resource from OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the app's facts.
#include "otel/resource.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace loadgen::otel {
namespace {

const AttrValue* find(const Resource& r, std::string_view key) {
  for (const auto& a : r.attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

std::string str(const Resource& r, std::string_view key) {
  const AttrValue* v = find(r, key);
  if (v == nullptr || !std::holds_alternative<std::string>(v->v)) return "<none>";
  return std::get<std::string>(v->v);
}

ResourceFacts facts() {
  ResourceFacts f;
  f.sdk_version = "0.1.0";
  f.service_instance_id = "0b8f0a4e-8d4a-4c7e-9d3f-2a1b3c4d5e6f";
  f.host_name = "box";
  f.process_pid = 4242;
  f.executable_name = "loadgen";
  f.runtime_name = "libstdc++";
  return f;
}

TEST(Resource, Defaults) {
  std::vector<std::string> warnings;
  const Resource r = make_resource({}, "loadgen", facts(), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_FALSE(r.attributes.empty());
  EXPECT_EQ(r.attributes[0].key, "service.name");
  EXPECT_EQ(str(r, "service.name"), "loadgen");
  EXPECT_EQ(str(r, "telemetry.sdk.name"), "loadgen");
  EXPECT_EQ(str(r, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(str(r, "telemetry.sdk.version"), "0.1.0");
  EXPECT_EQ(str(r, "service.instance.id"), "0b8f0a4e-8d4a-4c7e-9d3f-2a1b3c4d5e6f");
  EXPECT_EQ(str(r, "host.name"), "box");
  EXPECT_EQ(str(r, "process.executable.name"), "loadgen");
  EXPECT_EQ(str(r, "process.runtime.name"), "libstdc++");
  ASSERT_NE(find(r, "process.pid"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(find(r, "process.pid")->v), 4242);
  EXPECT_EQ(find(r, "os.description"), nullptr);  // empty facts are left out
  EXPECT_EQ(r.schema_url, kSchemaUrl);
  for (std::size_t i = 2; i < r.attributes.size(); ++i) {
    EXPECT_LT(r.attributes[i - 1].key, r.attributes[i].key);  // sorted after service.name
  }
}

TEST(Resource, ServiceNamePrecedence) {
  EXPECT_EQ(str(make_resource({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=fromattrs"}}, "loadgen",
                              facts(), nullptr),
                "service.name"),
            "fromattrs");
  EXPECT_EQ(str(make_resource({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=fromattrs"},
                               {"OTEL_SERVICE_NAME", "fromname"}},
                              "loadgen", facts(), nullptr),
                "service.name"),
            "fromname");
  EXPECT_EQ(str(make_resource({{"OTEL_SERVICE_NAME", ""}}, "", facts(), nullptr), "service.name"),
            "unknown_service:loadgen");
  EXPECT_EQ(str(make_resource({}, "", ResourceFacts{}, nullptr), "service.name"),
            "unknown_service");
}

TEST(Resource, EnvAttributesOverrideFactsButNotSdk) {
  const Resource r = make_resource(
      {{"OTEL_RESOURCE_ATTRIBUTES",
        "host.name=override, deployment.environment.name = load%20test ,telemetry.sdk.name="
        "opentelemetry,team=a%2Cb%3Dc"}},
      "loadgen", facts(), nullptr);
  EXPECT_EQ(str(r, "host.name"), "override");
  EXPECT_EQ(str(r, "deployment.environment.name"), "load test");
  EXPECT_EQ(str(r, "team"), "a,b=c");
  EXPECT_EQ(str(r, "telemetry.sdk.name"), "loadgen");
}

TEST(Resource, DecodeErrorDiscardsTheWholeVariable) {
  for (const char* bad : {"a=1,b=%zz", "a=1,novalue", "a=1,=x", "a=1,b=x y", "a=%FF"}) {
    std::vector<std::string> warnings;
    const Resource r =
        make_resource({{"OTEL_RESOURCE_ATTRIBUTES", bad}}, "loadgen", facts(), &warnings);
    EXPECT_EQ(find(r, "a"), nullptr) << bad;
    ASSERT_EQ(warnings.size(), 1u) << bad;
    EXPECT_NE(warnings[0].find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
  }
}

TEST(ResourceAttributes, Parse) {
  std::string error;
  auto kv = parse_resource_attributes("k1=v1,,k2=v%202, k1=again ,k3=", &error);
  ASSERT_TRUE(kv) << error;
  ASSERT_EQ(kv->size(), 3u);
  EXPECT_EQ((*kv)[0], (std::pair<std::string, std::string>{"k1", "again"}));
  EXPECT_EQ((*kv)[1], (std::pair<std::string, std::string>{"k2", "v 2"}));
  EXPECT_EQ((*kv)[2], (std::pair<std::string, std::string>{"k3", ""}));
  EXPECT_FALSE(parse_resource_attributes("k=%E2%82", &error));
  EXPECT_NE(error.find("k=%E2%82"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::otel
