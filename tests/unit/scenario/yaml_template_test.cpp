// Tests for scenario/yaml's templates: compiled once into segments, rendered typed and escaped.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "scenario/yaml/template.hpp"

namespace loadgen::scenario::yaml {
namespace {

class Names final : public TemplateNames {
 public:
  std::map<std::string, std::uint32_t, std::less<>> vars{{"a", 0}, {"n", 1}, {"row", 2}};
  bool variable(std::string_view name, std::uint32_t& slot) override {
    auto it = vars.find(name);
    if (it == vars.end()) return false;
    slot = it->second;
    return true;
  }
  bool dataset(std::string_view name, std::uint32_t& id) override {
    id = 0;
    return name == "ds";
  }
  std::uint32_t counter(std::string_view) override { return 0; }
  std::string suggest(std::string_view) override { return "a"; }
};

struct Fixture : ::testing::Test {
  Names names;
  std::vector<Value> vars{{ValueKind::kString, "x \"y\"", 0, 0},
                          {ValueKind::kNumber, "5", 0, 0},
                          {ValueKind::kRow, "", 0, 0}};
  std::vector<std::int64_t> counters;
  std::vector<Dataset> datasets;
  core::Rng rng{7};
  TemplateEnv env;
  void SetUp() override {
    Dataset d;
    d.name = "ds";
    d.records = true;
    d.columns = {"id", "obj"};
    d.rows = {{{ValueKind::kString, "r1", 0, 0}, {ValueKind::kJson, "{\"k\":1}", 0, 0}}};
    d.row_json = {R"({"id":"r1","obj":{"k":1}})"};
    datasets.push_back(d);
    env = TemplateEnv{&vars, &counters, &datasets, &rng, "sess", 3};
  }
  std::string render(std::string_view text, Escape e = Escape::kNone) {
    Template t;
    std::string err;
    EXPECT_TRUE(compile_template(text, names, t, err)) << err;
    std::string out;
    t.render(env, out, e);
    return out;
  }
  std::string error(std::string_view text) {
    Template t;
    std::string err;
    EXPECT_FALSE(compile_template(text, names, t, err));
    return err;
  }
};

TEST_F(Fixture, LiteralsStayOneSegment) {
  Template t;
  std::string err;
  ASSERT_TRUE(compile_template("/plain/path", names, t, err));
  EXPECT_TRUE(t.is_literal());
  EXPECT_EQ(t.literal(), "/plain/path");
}

TEST_F(Fixture, VariablesFieldsAndFunctions) {
  EXPECT_EQ(render("/p/{{ n }}/{{n}}"), "/p/5/5");
  EXPECT_EQ(render("{{ row.id }}-{{ row.obj }}"), "r1-{\"k\":1}");
  EXPECT_EQ(render("{{ row }}"), R"({"id":"r1","obj":{"k":1}})");
  EXPECT_EQ(render("{{ session_id() }}/{{ user_id() }}"), "sess/3");
  EXPECT_EQ(render("{{ counter(c) }},{{ counter('c') }}"), "1,2");
  EXPECT_EQ(render("{{ uuid() }}").size(), 36u);
  for (int i = 0; i < 100; ++i) {
    const int v = std::stoi(render("{{ random_int(-2, 2) }}"));
    EXPECT_GE(v, -2);
    EXPECT_LE(v, 2);
  }
  EXPECT_EQ(render("{{ random_int(4, 4) }}"), "4");
  EXPECT_GT(std::stoll(render("{{ timestamp_ms() }}")), 1'600'000'000'000);
  EXPECT_EQ(render("{{ choice(ds) }}"), R"({"id":"r1","obj":{"k":1}})");
  EXPECT_EQ(render("{{ row.missing }}"), "");
}

TEST_F(Fixture, Escapes) {
  EXPECT_EQ(render("{{ a }}", Escape::kUrl), "x%20%22y%22");
  EXPECT_EQ(render("{{ a }}", Escape::kJsonString), R"(x \"y\")");
  EXPECT_EQ(render("{{ a }}", Escape::kJsonValue), R"("x \"y\"")");
  EXPECT_EQ(render("{{ n }}", Escape::kJsonValue), "5");
  EXPECT_EQ(render("{{ row.obj }}", Escape::kJsonValue), "{\"k\":1}");
  EXPECT_EQ(render("lit {{ n }}", Escape::kUrl), "lit 5");  // literal text is not escaped
}

TEST_F(Fixture, EvaluateKeepsTheTypeOfASingleExpression) {
  Template t;
  std::string err;
  ASSERT_TRUE(compile_template("{{ n }}", names, t, err));
  Value v;
  t.evaluate(env, v);
  EXPECT_EQ(v.kind, ValueKind::kNumber);
  Template u;
  ASSERT_TRUE(compile_template("n={{ n }}", names, u, err));
  u.evaluate(env, v);
  EXPECT_EQ(v.kind, ValueKind::kString);
  EXPECT_EQ(v.text, "n=5");
  Template r;
  ASSERT_TRUE(compile_template("{{ choice(ds) }}", names, r, err));
  r.evaluate(env, v);
  EXPECT_EQ(v.kind, ValueKind::kRow);
}

TEST_F(Fixture, RenderingReusesTheBuffer) {
  Template t;
  std::string err;
  ASSERT_TRUE(compile_template("/items/{{ n }}?q={{ a }}", names, t, err));
  std::string out;
  out.reserve(64);
  const char* data = out.data();
  for (int i = 0; i < 1000; ++i) {
    out.clear();
    t.render(env, out);
  }
  EXPECT_EQ(out.data(), data);
}

TEST_F(Fixture, Errors) {
  EXPECT_NE(error("{{ zz }}").find("unknown variable 'zz' (did you mean 'a'?)"), std::string::npos);
  EXPECT_NE(error("{{ ds }}").find("is a data set"), std::string::npos);
  EXPECT_NE(error("{{ a").find("no closing"), std::string::npos);
  EXPECT_NE(error("{{}}").find("empty expression"), std::string::npos);
  EXPECT_NE(error("{{ f(x) }}").find("unknown function 'f'"), std::string::npos);
  EXPECT_NE(error("{{ a b }}").find("not a variable name"), std::string::npos);
  EXPECT_NE(error("{{ random_int(1, x) }}").find("two integers"), std::string::npos);
}

}  // namespace
}  // namespace loadgen::scenario::yaml
