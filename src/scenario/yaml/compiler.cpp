// The compiler's basics (compiler.hpp): errors with marks, key checks, typed scalars, names.
#include "scenario/yaml/compiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace loadgen::scenario::yaml {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool plain(const YAML::Node& n) { return n.Tag() == "?"; }

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_d = 3;
  if (word.size() > 64) return best;
  for (const auto c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d && d < std::max<std::size_t>(c.size(), 2)) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

void Compiler::error(const YAML::Mark& at, std::string_view what) {
  // One problem per line: control characters of the file's text quoted in `what` are escaped.
  std::string text;
  for (const char ch : what) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F)
      text += fmt::format("\\x{:02x}", c);
    else
      text += ch;
  }
  if (at.is_null())
    errors_.push_back(fmt::format("{}: {}", path_, text));
  else
    errors_.push_back(fmt::format("{}:{}:{}: {}", path_, at.line + 1, at.column + 1, text));
}

void Compiler::error(const YAML::Node& at, std::string_view what) { error(at.Mark(), what); }

std::string Compiler::origin(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  return fmt::format("{}:{}:{}", path_, m.line + 1, m.column + 1);
}

bool Compiler::check_map(const YAML::Node& map, std::string_view what,
                         std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) {
    error(map, fmt::format("{} must be a mapping", what));
    return false;
  }
  const std::vector<std::string_view> keys(allowed.begin(), allowed.end());
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, fmt::format("keys of {} must be plain names", what));
      continue;
    }
    const std::string& k = it->first.Scalar();
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    const std::string near = closest(k, keys);
    error(it->first,
          near.empty()
              ? fmt::format("unknown key '{}' in {} (known: {})", k, what, fmt::join(keys, ", "))
              : fmt::format("unknown key '{}' in {} (did you mean '{}'?)", k, what, near));
  }
  return true;
}

bool Compiler::get_string(const YAML::Node& n, std::string_view what, std::string& out) {
  if (!n.IsScalar()) {
    error(n, fmt::format("{} must be a string", what));
    return false;
  }
  out = n.Scalar();
  return true;
}

bool Compiler::get_int(const YAML::Node& n, std::string_view what, std::int64_t& out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return true;
  }
  error(n, fmt::format("{} must be an integer", what));
  return false;
}

bool Compiler::get_uint(const YAML::Node& n, std::string_view what, std::uint64_t& out,
                        std::uint64_t min, std::uint64_t max) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && out >= min && out <= max)
      return true;
  }
  error(n, fmt::format("{} must be a whole number from {} to {}", what, min, max));
  return false;
}

bool Compiler::get_double(const YAML::Node& n, std::string_view what, double& out) {
  if (n.IsScalar() && !n.Scalar().empty()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() && std::isfinite(out) && out >= 0) return true;
  }
  error(n, fmt::format("{} must be a non-negative number", what));
  return false;
}

bool Compiler::get_bool(const YAML::Node& n, std::string_view what, bool& out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "yes") {
      out = true;
      return true;
    }
    if (s == "false" || s == "False" || s == "no") {
      out = false;
      return true;
    }
  }
  error(n, fmt::format("{} must be true or false", what));
  return false;
}

Value Compiler::scalar_value(const YAML::Node& n) {
  Value v;
  v.text = n.IsScalar() ? n.Scalar() : std::string();
  if (!plain(n)) return v;
  const std::string& s = v.text;
  if (s == "true" || s == "false") {
    v.kind = ValueKind::kBool;
  } else if (s == "null" || s == "~" || n.IsNull()) {
    v.kind = ValueKind::kJson;
    v.text = "null";
  } else if (!s.empty()) {
    // A JSON number (RFC 8259 §6): what YAML's core schema also reads as one.
    std::size_t i = s[0] == '-' ? 1 : 0;
    const std::size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    bool ok = i > digits && !(s[digits] == '0' && i - digits > 1);
    if (ok && i < s.size() && s[i] == '.') {
      const std::size_t f = ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      ok = i > f;
    }
    if (ok && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      const std::size_t e = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      ok = i > e;
    }
    if (ok && i == s.size()) v.kind = ValueKind::kNumber;
  }
  return v;
}

bool Compiler::compile(const YAML::Node& n, std::string_view what, Template& out, Escape escape) {
  if (!n.IsScalar()) {
    error(n, fmt::format("{} must be a string (a template)", what));
    return false;
  }
  std::string why;
  if (!compile_template(n.Scalar(), *this, out, why, escape)) {
    error(n, fmt::format("{}: {}", what, why));
    return false;
  }
  if (out.is_literal()) out.set_literal_kind(scalar_value(n).kind);
  return true;
}

std::uint32_t Compiler::declare_variable(const std::string& name) {
  const auto it = variables_.find(name);
  if (it != variables_.end()) return it->second;
  const auto slot = static_cast<std::uint32_t>(program_->variables.size());
  program_->variables.push_back(name);
  variables_.emplace(name, slot);
  return slot;
}

bool Compiler::spend(const YAML::Node& at) {
  constexpr std::size_t kMaxWork = 50'000;
  if (++work_ < kMaxWork) return true;
  if (work_ == kMaxWork)
    error(at, fmt::format("the scenario expands to more than {} nodes and steps (aliases or "
                          "calls repeating a part many times)",
                          kMaxWork));
  work_ = kMaxWork + 1;
  return false;
}

void Compiler::declare_all(const YAML::Node& n) {
  if (!spend(n)) return;
  if (n.IsSequence()) {
    for (const auto& c : n) declare_all(c);
    return;
  }
  if (!n.IsMap()) return;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string& k = it->first.Scalar();
    const YAML::Node v = it->second;  // a copy: it-> is a temporary proxy
    if ((k == "set" || k == "variables" || k == "extract") && v.IsMap()) {
      for (auto jt = v.begin(); jt != v.end(); ++jt)
        if (jt->first.IsScalar()) declare_variable(jt->first.Scalar());
    } else if (k == "into" && v.IsScalar()) {
      declare_variable(v.Scalar());
    }
    if (k != "data") declare_all(v);
  }
}

bool Compiler::variable(std::string_view name, std::uint32_t& slot) {
  const auto it = variables_.find(name);
  if (it == variables_.end()) return false;
  slot = it->second;
  return true;
}

bool Compiler::dataset(std::string_view name, std::uint32_t& id) {
  const auto it = datasets_.find(name);
  if (it == datasets_.end()) return false;
  id = it->second;
  return true;
}

std::uint32_t Compiler::counter(std::string_view name) {
  const auto it = counters_.find(name);
  if (it != counters_.end()) return it->second;
  const std::uint32_t id = program_->counters++;
  counters_.emplace(std::string(name), id);
  return id;
}

std::string Compiler::suggest(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& [k, v] : variables_) names.push_back(k);
  return closest(name, names);
}

}  // namespace loadgen::scenario::yaml
