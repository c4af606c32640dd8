#include "scenario/task_ratio.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "core/utf8.hpp"

namespace loadgen::scenario {

namespace {

std::string_view task_name(const TaskDef& t) {
  return t.name.empty() && t.set ? std::string_view(t.set->name) : std::string_view(t.name);
}

// Locust's _get_task_ratio: a task listed with weight w is w entries of the tasks list, so its
// ratio is w * parent / (sum of weights); a nested set's tasks recurse with its ratio.
std::vector<TaskRatio> tasks_ratio(const std::vector<TaskDef>& tasks, bool total,
                                   double parent_ratio) {
  parent_ratio = total ? parent_ratio : 1.0;
  double len = 0;
  for (const TaskDef& t : tasks) len += t.weight;
  std::vector<TaskRatio> out;
  for (const TaskDef& t : tasks) {
    if (t.weight == 0) continue;  // never in Locust's list of tasks
    TaskRatio r;
    r.name = std::string(task_name(t));
    r.ratio = static_cast<double>(t.weight) * parent_ratio / len;
    if (t.set) {
      r.has_tasks = true;
      r.tasks = tasks_ratio(t.set->tasks, total, r.ratio);
    }
    // A dict keyed by name: a later task of the same name replaces the earlier one in place.
    bool replaced = false;
    for (TaskRatio& e : out) {
      if (e.name == r.name) {
        e = std::move(r);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(std::move(r));
  }
  return out;
}

// Code points, as Python's str padding counts them.
std::size_t text_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string pad_right(std::string s, std::size_t width) {
  const std::size_t w = text_width(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}

// main.py's _print_task_ratio: " %-10s %-50s" % (padding + "%-6.1f" % (ratio * 100),
// padding + name), two spaces of padding per level.
void print_rows(std::string& out, const std::vector<TaskRatio>& rows, std::size_t level) {
  const std::string padding(2 * level, ' ');
  for (const TaskRatio& r : rows) {
    const std::string pct = padding + fmt::format("{:<6.1f}", r.ratio * 100);
    out += " " + pad_right(pct, 10) + " " + pad_right(padding + r.name, 50) + "\n";
    if (r.has_tasks) print_rows(out, r.tasks, level + 1);
  }
}

// Python's json.dumps(ensure_ascii=True) string: non-ASCII as \uXXXX (surrogate pairs above
// U+FFFF), ill-formed UTF-8 as U+FFFD.
void append_py_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    bool valid = false;
    const std::size_t n = core::utf8_sequence(s, i, valid);
    std::uint32_t cp = 0xFFFD;
    if (valid) {
      cp = c & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
      for (std::size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    if (cp > 0xFFFF) {
      cp -= 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
    i += n;
  }
  out += '"';
}

void indent(std::string& out, std::size_t level) { out.append(4 * level, ' '); }

// One {"name": {"ratio": r[, "tasks": {...}]}, ...} object, json.dumps(indent=4) style, the
// opening brace already written by the caller's key.
void print_json_rows(std::string& out, const std::vector<TaskRatio>& rows, std::size_t level) {
  if (rows.empty()) {
    out += "{}";
    return;
  }
  out += "{\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TaskRatio& r = rows[i];
    indent(out, level + 1);
    append_py_json_string(out, r.name);
    out += ": {\n";
    indent(out, level + 2);
    out += "\"ratio\": " + python_float_repr(r.ratio);
    if (r.has_tasks) {
      out += ",\n";
      indent(out, level + 2);
      out += "\"tasks\": ";
      print_json_rows(out, r.tasks, level + 2);
    }
    out += "\n";
    indent(out, level + 1);
    out += i + 1 < rows.size() ? "},\n" : "}\n";
  }
  indent(out, level);
  out += "}";
}

}  // namespace

std::vector<long long> users_per_class(const std::vector<UserClass>& classes, long long num_users) {
  long long fixed_count = 0;
  long long total_weight = 0;
  for (const UserClass& u : classes) {
    if (u.fixed_count > 0) {
      fixed_count += u.fixed_count;
    } else {
      total_weight += u.weight;
    }
  }
  if (num_users == 0) num_users = fixed_count == 0 ? total_weight : 1;
  const long long weighted_count = std::max(0LL, num_users - fixed_count);
  std::vector<long long> counts;
  for (const UserClass& u : classes) {
    if (u.fixed_count > 0) {
      counts.push_back(u.fixed_count);
    } else if (total_weight == 0) {
      counts.push_back(0);
    } else {
      // Python: round((u.weight / total_weight) * weighted_count), half to even.
      const double count = (static_cast<double>(u.weight) / static_cast<double>(total_weight)) *
                           static_cast<double>(weighted_count);
      counts.push_back(static_cast<long long>(std::nearbyint(count)));
    }
  }
  return counts;
}

std::vector<TaskRatio> task_ratios(const std::vector<UserClass>& classes, long long num_users,
                                   bool total) {
  const std::vector<long long> spawned = users_per_class(classes, num_users);
  long long user_count = 0;
  for (long long n : spawned) user_count += n;
  if (user_count == 0) user_count = 1;
  std::vector<TaskRatio> out;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    TaskRatio r;
    r.name = classes[i].name;
    r.ratio = static_cast<double>(spawned[i]) / static_cast<double>(user_count);
    r.has_tasks = true;
    r.tasks = tasks_ratio(classes[i].tasks, total, r.ratio);
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_task_ratio(const std::vector<UserClass>& classes, long long num_users) {
  std::string out = "\n Task ratio per User class\n" + std::string(80, '-') + "\n";
  print_rows(out, task_ratios(classes, num_users, false), 0);
  out += "\n Total task ratio\n" + std::string(80, '-') + "\n";
  print_rows(out, task_ratios(classes, num_users, true), 0);
  return out;
}

std::string format_task_ratio_json(const std::vector<UserClass>& classes, long long num_users) {
  std::string out = "{\n    \"per_class\": ";
  print_json_rows(out, task_ratios(classes, num_users, false), 1);
  out += ",\n    \"total\": ";
  print_json_rows(out, task_ratios(classes, num_users, true), 1);
  out += "\n}\n";
  return out;
}

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";  // json.dumps' spelling
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // "-d.ddde+XX"
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int decpt = exp10 + 1;  // value = 0.DIGITS * 10^decpt
  const auto n = static_cast<int>(digits.size());
  std::string out = sign;
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02}", exp10 < 0 ? '-' : '+', std::abs(exp10));
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt < n) {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  } else {
    out += digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
  }
  return out;
}

}  // namespace loadgen::scenario
