// Fuzz target for the YAML format's templates (scenario/yaml/template.hpp): compile any text;
// a compiled template renders under every escape, text without "{{" compiles to itself, and a
// rendered JSON value of a string variable is a quoted string. Aborts on any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/yaml/template.hpp"

namespace {

using namespace loadgen::scenario::yaml;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "yaml_template_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

class Names final : public TemplateNames {
 public:
  bool variable(std::string_view name, std::uint32_t& slot) override {
    if (name == "a")
      slot = 0;
    else if (name == "n")
      slot = 1;
    else if (name == "row")
      slot = 2;
    else
      return false;
    return true;
  }
  bool dataset(std::string_view name, std::uint32_t& id) override {
    id = 0;
    return name == "ds";
  }
  std::uint32_t counter(std::string_view) override { return 0; }
  std::string suggest(std::string_view) override { return {}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16 * 1024) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Names names;
  Template t;
  std::string error;
  if (!compile_template(input, names, t, error)) {
    check(!error.empty(), "a refused template says why");
    return 0;
  }
  if (input.find("{{") == std::string_view::npos)
    check(t.is_literal() && t.literal() == input, "text without {{ is literal");
  Dataset d;
  d.name = "ds";
  d.records = true;
  d.columns = {"id"};
  d.rows = {{Value{ValueKind::kString, "r\"1", 0, 0}}};
  d.row_json = {R"({"id":"r\"1"})"};
  std::vector<Dataset> datasets{d};
  std::vector<Value> vars{Value{ValueKind::kString, "x y\n\"", 0, 0},
                          Value{ValueKind::kNumber, "5", 0, 0}, Value{ValueKind::kRow, "", 0, 0}};
  std::vector<std::int64_t> counters;
  loadgen::core::Rng rng(1);
  const TemplateEnv env{&vars, &counters, &datasets, &rng, "s", 1};
  for (const Escape e : {Escape::kNone, Escape::kJsonString, Escape::kJsonValue, Escape::kUrl}) {
    std::string out;
    t.render(env, out, e);
    if (e == Escape::kUrl && t.single_expression())
      check(out.find(' ') == std::string::npos, "URL escaping leaves no space");
  }
  Value v;
  t.evaluate(env, v);
  if (t.single_expression() && t.segments()[0].kind == Segment::Kind::kVar &&
      t.segments()[0].slot == 0) {
    std::string out;
    t.render(env, out, Escape::kJsonValue);
    check(out.size() >= 2 && out.front() == '"' && out.back() == '"', "JSON string quoted");
  }
  return 0;
}
