// Fuzz target for parse_traceparent, TraceState::parse and extract_trace_context. Input:
// "TRACEPARENT\nTRACESTATE" (no newline: the whole input is both). Checks that what parses
// formats back to a form that parses to the same thing, and the tracestate limits. Aborts on
// any violation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "otel/trace_context.hpp"

namespace {

using namespace loadgen::otel;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "traceparent_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

void check_traceparent(std::string_view input) {
  const auto ctx = parse_traceparent(input);
  if (!ctx) return;
  check(ctx->valid() && ctx->remote && ctx->trace_state.empty(), "parsed context shape");
  char buf[kTraceparentLen];
  format_traceparent(*ctx, buf);
  const std::string_view text(buf, kTraceparentLen);
  for (char c : text) check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-', "chars");
  const auto again = parse_traceparent(text);
  check(again.has_value(), "formatted traceparent does not parse");
  check(again->trace_id == ctx->trace_id && again->span_id == ctx->span_id, "ids changed");
  check(again->flags == (ctx->flags & kKnownTraceFlags), "flags");
  char b3[kB3SingleLen];
  format_b3_single(*ctx, b3);
  check(std::string_view(b3, 32) == text.substr(3, 32), "b3 trace id");
}

void check_tracestate(std::string_view input) {
  const auto ts = TraceState::parse(input);
  if (!ts) return;
  check(ts->size() <= kTraceStateMaxMembers, "too many members");
  for (const auto& m : ts->members()) {
    check(is_valid_tracestate_key(m.key) && is_valid_tracestate_value(m.value), "member");
  }
  const std::string full = ts->header(SIZE_MAX);
  const auto again = TraceState::parse(full);
  check(again.has_value() && again->size() == ts->size(), "full header does not round-trip");
  for (std::size_t i = 0; i < ts->size(); ++i) {
    check(again->members()[i].key == ts->members()[i].key &&
              again->members()[i].value == ts->members()[i].value,
          "member changed in round trip");
  }
  const std::string cut = ts->header();
  check(cut.size() <= kTraceStateMinPropagateLen, "truncated header too long");
  check(TraceState::parse(cut).has_value(), "truncated header does not parse");
  if (full.size() <= kTraceStateMinPropagateLen) check(cut == full, "truncated needlessly");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view tp = input.substr(0, nl);
  const std::string_view ts = nl == std::string_view::npos ? input : input.substr(nl + 1);
  check_traceparent(tp);
  check_tracestate(ts);
  const auto ctx = extract_trace_context(tp, ts);
  check(ctx.has_value() == parse_traceparent(tp).has_value(), "extract vs parse");
  if (ctx && !ctx->trace_state.empty()) {
    check(TraceState::parse(ctx->trace_state).has_value(), "extracted tracestate invalid");
  }
  return 0;
}
