// The YAML scenario compiler's shared state (private to src/scenario/yaml/: the only place
// yaml-cpp headers appear): error collection with file:line:col, key validation with a
// did-you-mean, the variable table templates resolve against, and the step compiler.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/yaml/program.hpp"
#include "scenario/yaml/template.hpp"

namespace loadgen::scenario::yaml {

// A did-you-mean among `candidates` (edit distance <= 2); empty when none is close.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);

class Compiler final : public TemplateNames {
 public:
  Compiler(std::string path, std::string dir) : path_(std::move(path)), dir_(std::move(dir)) {}

  // ---- errors ----
  void error(const YAML::Node& at, std::string_view what);
  void error(const YAML::Mark& at, std::string_view what);
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }
  std::string origin(const YAML::Node& n) const;

  // Reports keys of `map` not in `allowed` (with a did-you-mean). False if `map` is no mapping.
  bool check_map(const YAML::Node& map, std::string_view what,
                 std::initializer_list<std::string_view> allowed);
  // Scalars, each reporting its own error and returning false on a bad value.
  bool get_string(const YAML::Node& n, std::string_view what, std::string& out);
  bool get_uint(const YAML::Node& n, std::string_view what, std::uint64_t& out,
                std::uint64_t min = 0, std::uint64_t max = 1'000'000'000);
  bool get_int(const YAML::Node& n, std::string_view what, std::int64_t& out);
  bool get_double(const YAML::Node& n, std::string_view what, double& out);
  bool get_bool(const YAML::Node& n, std::string_view what, bool& out);
  // A plain (unquoted) scalar's type: numbers, booleans and null keep theirs; quoted: string.
  static Value scalar_value(const YAML::Node& n);
  bool compile(const YAML::Node& n, std::string_view what, Template& out,
               Escape escape = Escape::kNone);

  // ---- names ----
  std::uint32_t declare_variable(const std::string& name);
  // Declares every variable the document assigns (set:, variables:, extract:, into:), so
  // templates anywhere may read them.
  void declare_all(const YAML::Node& n);
  void add_dataset(Dataset d) {
    datasets_.emplace(d.name, static_cast<std::uint32_t>(program_->datasets.size()));
    program_->datasets.push_back(std::move(d));
  }
  bool has_dataset(const std::string& name) const { return datasets_.count(name) > 0; }
  bool variable(std::string_view name, std::uint32_t& slot) override;
  bool dataset(std::string_view name, std::uint32_t& id) override;
  std::uint32_t counter(std::string_view name) override;
  std::string suggest(std::string_view name) override;

  // ---- steps (steps.cpp) ----
  void set_defines(const YAML::Node& defines) { defines_ = defines; }
  Block compile_block(const YAML::Node& seq, std::string_view what);
  bool uses_flags() const { return uses_flags_; }

  std::shared_ptr<Program> program() const { return program_; }

  // A bound on the work one document may cause (nodes visited, steps compiled): YAML aliases and
  // calls of defines can repeat a subtree exponentially ("billion laughs"). False once spent;
  // the first time, reports it at `at`.
  bool spend(const YAML::Node& at);

 private:
  void compile_step(const YAML::Node& n, Block& out);
  bool compile_request(const YAML::Node& opts, const YAML::Node& url, http::Method method,
                       const YAML::Node& at, RequestStep& r);
  void compile_checks(const YAML::Node& n, RequestStep& r);
  void compile_extracts(const YAML::Node& n, RequestStep& r);
  bool compile_json(const YAML::Node& n, Template& out);
  bool compile_condition(const YAML::Node& n, Condition& c);
  void compile_attributes(const YAML::Node& n, std::vector<SpanAttribute>& out);
  std::vector<std::string> json_path(const YAML::Node& at, std::string_view text);

  std::string path_;
  std::string dir_;
  std::vector<std::string> errors_;
  std::shared_ptr<Program> program_ = std::make_shared<Program>();
  std::map<std::string, std::uint32_t, std::less<>> variables_;
  std::map<std::string, std::uint32_t, std::less<>> datasets_;
  std::map<std::string, std::uint32_t, std::less<>> counters_;
  YAML::Node defines_;
  std::vector<std::string> calls_;  // define names being compiled (cycle detection)
  bool uses_flags_ = false;
  std::size_t work_ = 0;
};

}  // namespace loadgen::scenario::yaml
