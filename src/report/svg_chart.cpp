// Line charts as inline SVG (see svg_chart.hpp).
#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/html_escape.hpp"

namespace loadgen::report {
namespace {

constexpr double kWidth = 900, kHeight = 240;
constexpr double kLeft = 64, kRight = 36, kTop = 28, kBottom = 30;  // room for the labels
constexpr int kYTicks = 4, kXTicks = 5;

bool has_value(double v) { return std::isfinite(v) && v >= 0; }

// A round upper bound for the y axis (1, 2 or 5 times a power of ten), at least 1.
double nice_max(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (v <= m * p) return std::max(m * p, 1.0);
  }
  return 10 * p;
}

// HH:MM:SS of a wall time, UTC (what Locust's report charts show).
std::string clock_utc(double t) {
  const auto s = static_cast<std::int64_t>(std::floor(t)) % 86400;
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

struct Frame {
  double x0, x1, ymax;
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (kWidth - kLeft - kRight); }
  double py(double y) const { return kTop + (1 - y / ymax) * (kHeight - kTop - kBottom); }
};

Frame frame_of(const Chart& c) {
  double ymax = 0;
  for (const ChartSeries& s : c.series) {
    for (double v : s.y) {
      if (has_value(v)) ymax = std::max(ymax, v);
    }
  }
  const double x0 = c.x.empty() ? 0 : c.x.front();
  const double x1 = c.x.empty() ? 1 : c.x.back();
  return Frame{x0, x1 > x0 ? x1 : x0 + 1, nice_max(ymax)};
}

void append_axes(std::string& out, const Chart& c, const Frame& f) {
  for (int i = 0; i <= kYTicks; ++i) {
    const double v = f.ymax * i / kYTicks;
    const double y = f.py(v);
    out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="grid"/>)", kLeft, y,
                       kWidth - kRight, y);
    out += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:g}</text>)", kLeft - 6, y + 4,
                       v);
  }
  out += fmt::format(R"(<text x="8" y="{}">{}</text>)", kTop - 10, core::html_escape(c.unit));
  if (c.x.empty()) return;
  for (int i = 0; i <= kXTicks; ++i) {
    const double t = f.x0 + (f.x1 - f.x0) * i / kXTicks;
    out += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", f.px(t),
                       kHeight - 10, clock_utc(t));
  }
}

// One path per series; a value missing starts a new subpath.
void append_line(std::string& out, const Chart& c, const ChartSeries& s, const Frame& f) {
  std::string d;
  bool pen_down = false;
  for (std::size_t i = 0; i < c.x.size() && i < s.y.size(); ++i) {
    if (!has_value(s.y[i])) {
      pen_down = false;
      continue;
    }
    d += fmt::format("{}{:.1f},{:.1f}", pen_down ? " L" : " M", f.px(c.x[i]), f.py(s.y[i]));
    pen_down = true;
  }
  if (d.empty()) return;
  out += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>)", d.substr(1),
                     s.color);
}

void append_legend(std::string& out, const Chart& c) {
  double x = kLeft + 140;
  for (const ChartSeries& s : c.series) {
    out += fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/>)", x, kTop - 19,
                       s.color);
    out += fmt::format(R"(<text x="{}" y="{}">{}</text>)", x + 14, kTop - 10,
                       core::html_escape(s.label));
    x += 24 + 7 * static_cast<double>(s.label.size());
  }
}

}  // namespace

std::string render_svg_chart(const Chart& c) {
  const Frame f = frame_of(c);
  std::string out = fmt::format(
      R"(<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" )"
      R"(role="img" aria-label="{}">)",
      core::html_escape(c.id), kWidth, kHeight, core::html_escape(c.title));
  out += fmt::format("<title>{}</title>", core::html_escape(c.title));
  append_axes(out, c, f);
  append_legend(out, c);
  for (const ChartSeries& s : c.series) append_line(out, c, s, f);
  if (c.x.empty()) {
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">no data</text>)", kWidth / 2,
                       kHeight / 2);
  }
  out += "</svg>";
  return out;
}

}  // namespace loadgen::report
