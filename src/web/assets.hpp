// The web UI's static files (web/index.html, app.js, app.css and uPlot's build from npm),
// embedded in the binary at build time (cmake/embed_assets.cmake), so the page needs nothing
// from elsewhere. Served by GET / and GET /assets/<file> (web/ui_routes.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace loadgen::web {

struct EmbeddedFile {
  std::string_view name;  // "index.html", "app.js", "uPlot.iife.min.js", ...
  std::string_view body;
};

// Every embedded file, in the order CMake lists them.
std::span<const EmbeddedFile> embedded_files();
// The file named `name`; null when there is none.
const EmbeddedFile* find_embedded(std::string_view name);

// The Content-Type of a file served by name (by its extension; text types in UTF-8).
std::string_view content_type_for(std::string_view name);

namespace detail {
extern const EmbeddedFile kEmbedded[];  // generated
extern const std::size_t kEmbeddedCount;
}  // namespace detail

}  // namespace loadgen::web
