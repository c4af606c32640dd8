// W3C Baggage for the otel module: an ordered name → value map with opaque properties, encoded
// to and parsed from the `baggage` header (W3C Baggage editor's draft, OTel baggage API), plus
// the percent-coding and UTF-8 helpers shared with OTEL_RESOURCE_ATTRIBUTES and OTLP headers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen::otel {

inline constexpr std::string_view kBaggageHeader = "baggage";
// Everything MUST be propagated while the header has <= 64 members and <= 8192 bytes; beyond
// that whole members MAY be dropped (W3C Baggage §3.3.3).
inline constexpr std::size_t kBaggageMaxMembers = 64;
inline constexpr std::size_t kBaggageMaxBytes = 8192;

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (W3C Baggage §3.3.1).
bool is_baggage_octet(unsigned char c);
// RFC 9110 §5.6.2 token (the baggage key grammar).
bool is_http_token(std::string_view s);
// Appends s with every octet outside baggage-octet (and '%') as %XX, upper-case hex. UTF-8 is
// encoded byte by byte.
void percent_encode_baggage(std::string_view s, std::string& out);
// Appends the RFC 3986 %XX-decoded bytes of in; returns false on a '%' not followed by two hex
// digits (out then holds a partial result).
bool percent_decode(std::string_view in, std::string& out);

struct BaggageEntry {
  std::string name;
  std::string value;       // decoded bytes (UTF-8)
  std::string properties;  // opaque metadata after the first ';' (OTel keeps it as one string)
};

class Baggage {
 public:
  // Adds or replaces (later wins, position kept) an entry. Returns false, changing nothing, if
  // name is not a token or properties contain a ',' or a control character.
  bool set(std::string_view name, std::string_view value, std::string_view properties = {});
  bool erase(std::string_view name);
  std::optional<std::string_view> get(std::string_view name) const;
  const std::vector<BaggageEntry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The header value: "name=value;properties" members joined by ','. Whole members that would
  // make it exceed 64 members or 8192 bytes are dropped (in order: a member too large to fit is
  // skipped, smaller later ones may still fit).
  std::string header() const;
  // Same, appended to out: allocation-free when out has the capacity (hot path: a user's
  // baggage is built once and its header written into a reused buffer).
  void append_header(std::string& out) const;

  // Parses a baggage header (several headers joined with ','): OWS around members, '=' and ';'
  // tolerated; values percent-decoded, invalid UTF-8 → U+FFFD; properties kept opaque;
  // malformed members (bad key, byte outside baggage-octet, bad %XX) are skipped; a repeated
  // name replaces the earlier value.
  static Baggage parse(std::string_view header);

 private:
  std::vector<BaggageEntry> entries_;
};

}  // namespace loadgen::otel
