// Line charts as inline SVG (SVG 1.1 path and text elements), drawn on the server so the HTML
// report needs no script: a time axis (UTC clock times) and one y axis from 0, with a legend.
#pragma once

#include <string>
#include <vector>

namespace loadgen::report {

struct ChartSeries {
  std::string label;
  std::string color;      // a CSS color written into the SVG as is (ours, never from outside)
  std::vector<double> y;  // one per x; negative or NaN: no value (a gap in the line)
};

struct Chart {
  std::string id;         // the svg element's id
  std::string title;      // escaped when drawn
  std::string unit;       // of the y axis, e.g. "ms"
  std::vector<double> x;  // wall seconds since the epoch, ascending
  std::vector<ChartSeries> series;
};

// The <svg> element; an empty chart (no x) draws its frame and "no data".
std::string render_svg_chart(const Chart& chart);

}  // namespace loadgen::report
