// Slow traces per request name (see slow_traces.hpp).
#include "report/slow_traces.hpp"

#include <fmt/format.h>

#include "core/json_string.hpp"
#include "otel/ids.hpp"

namespace loadgen::report {

std::vector<SlowTraceRow> slow_trace_rows(const stats::Aggregate& a) {
  std::vector<SlowTraceRow> rows;
  for (const stats::Entry* e : a.entries()) {
    if (!e->slow_trace.known()) continue;
    rows.push_back(SlowTraceRow{e->method, e->name, trace_id_hex(e->slow_trace.trace_id),
                                static_cast<double>(e->slow_trace.response_time_us) / 1000.0});
  }
  return rows;
}

std::string trace_id_hex(const stats::TraceIdBytes& id) { return otel::to_hex(id); }

std::string trace_link(std::string_view link_template, std::string_view trace_id_hex) {
  std::string out;
  for (;;) {
    const std::size_t at = link_template.find(kTraceIdPlaceholder);
    out.append(link_template.substr(0, at));
    if (at == std::string_view::npos) return out;
    out.append(trace_id_hex);
    link_template.remove_prefix(at + kTraceIdPlaceholder.size());
  }
}

std::string slow_traces_json(const stats::Aggregate& a, std::string_view link_template) {
  std::string out = "{\"link_template\": ";
  core::append_json_string(out, link_template);
  out += ", \"traces\": [";
  bool first = true;
  for (const SlowTraceRow& r : slow_trace_rows(a)) {
    out += first ? "" : ", ";
    first = false;
    out += "{\"method\": ";
    core::append_json_string(out, r.method);
    out += ", \"name\": ";
    core::append_json_string(out, r.name);
    out += fmt::format(", \"trace_id\": \"{}\", \"response_time\": {}}}", r.trace_id,
                       r.response_time_ms);
  }
  out += "]}\n";
  return out;
}

}  // namespace loadgen::report
