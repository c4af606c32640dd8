// The compiled form of a YAML scenario: steps with their templates resolved to variable slots,
// shared read-only by every user of the scenario (built by the loader, run by runtime.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/method.hpp"
#include "scenario/yaml/template.hpp"

namespace loadgen::scenario::yaml {

struct Step;
using Block = std::vector<Step>;

// A check on a response (Locust's catch_response + response.failure(message)).
struct Check {
  enum class Kind : std::uint8_t { kStatus, kHeader, kBodyContains, kBodyNotContains, kJson };
  Kind kind = Kind::kStatus;
  std::vector<int> statuses;      // kStatus: any of these
  std::string name;               // kHeader: header name
  std::vector<std::string> path;  // kJson: object keys / array indexes
  std::string path_text;          // kJson: as written, for messages
  // Header/JSON comparisons (unset: the header or value must exist).
  std::optional<Template> equals;
  std::optional<Template> contains;  // also kBodyContains / kBodyNotContains
  bool must_exist = true;            // kHeader/kJson `exists: false`: must be absent
};

// A value taken from a response into a variable.
struct Extract {
  enum class Kind : std::uint8_t { kJson, kHeader, kBody, kStatus };
  Kind kind = Kind::kJson;
  std::uint32_t slot = 0;
  std::vector<std::string> path;  // kJson
  std::string path_text;
  std::string header;                     // kHeader
  std::optional<Template> default_value;  // unset: missing is a failure
};

struct RequestStep {
  http::Method method = http::Method::kGet;
  Template url;
  std::vector<std::pair<std::string, Template>> query;  // appended percent-encoded
  Template name;                                        // empty: the URL as requested
  std::vector<std::pair<std::string, Template>> headers;
  enum class BodyKind : std::uint8_t { kNone, kRaw, kJson, kForm };
  BodyKind body_kind = BodyKind::kNone;
  Template body;  // kJson: already a JSON template; kForm: key=value&... with URL escaping
  std::vector<Check> checks;
  std::vector<Extract> extracts;
  bool allow_redirects = true;
  bool keep_body = false;  // a check or extract reads the body
};

// if: a comparison of a rendered value.
struct Condition {
  enum class Op : std::uint8_t { kEquals, kNotEquals, kGt, kGe, kLt, kLe, kEmpty, kNotEmpty };
  Template value;
  Op op = Op::kEquals;
  Template operand;
};

struct SpanAttribute {
  std::string key;
  Template value;
};

struct Step {
  enum class Kind : std::uint8_t {
    kRequest,
    kSet,
    kSpan,
    kAttributes,
    kLog,
    kBaggage,
    kFlag,
    kRepeat,
    kIf,
    kSleep,
    kStopUser,
    kInterrupt,
    kReschedule,
  };
  Kind kind = Kind::kRequest;
  std::unique_ptr<RequestStep> request;                  // kRequest
  std::vector<std::pair<std::uint32_t, Template>> sets;  // kSet: slot ← value
  // kSpan: name; task_span: User::start_task_span (a trace root unless nested)
  std::string span_name;
  bool task_span = false;
  std::vector<SpanAttribute> attributes;  // kSpan, kAttributes
  Template text;                          // kLog message; kRepeat count
  enum class Level : std::uint8_t { kDebug, kInfo, kWarning, kError } level = Level::kInfo;
  std::vector<std::pair<std::string, Template>> baggage;  // kBaggage
  // kFlag
  std::string flag_key;
  bool flag_bool = false;
  std::int64_t flag_int_default = 0;
  bool flag_bool_default = false;
  std::uint32_t slot = 0;
  Condition condition;                // kIf
  Block body;                         // kSpan, kRepeat, kIf (then)
  Block else_body;                    // kIf
  std::chrono::nanoseconds sleep{0};  // kSleep
  bool reschedule = true;             // kInterrupt
};

// A user class's variables: initial values, set before on_start.
struct ClassProgram {
  std::vector<std::pair<std::uint32_t, Template>> initial;
  Block on_start;
  Block on_stop;
};

struct Program {
  std::vector<Dataset> datasets;
  std::vector<std::string> variables;  // slot → name
  std::uint32_t counters = 0;
  // Blocks are kept here (stable addresses) and referenced by the tasks' closures.
  std::vector<std::unique_ptr<Block>> blocks;
  std::vector<std::unique_ptr<ClassProgram>> classes;
};

}  // namespace loadgen::scenario::yaml
