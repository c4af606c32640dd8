#include "web/assets.hpp"

namespace loadgen::web {

std::span<const EmbeddedFile> embedded_files() {
  return {detail::kEmbedded, detail::kEmbeddedCount};
}

const EmbeddedFile* find_embedded(std::string_view name) {
  for (const EmbeddedFile& f : embedded_files()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view content_type_for(std::string_view name) {
  const auto ends = [name](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";  // RFC 9239
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace loadgen::web
