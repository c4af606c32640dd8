// Templates of the YAML scenario format: "/api/products/{{ product }}", "{{ uuid() }}". Compiled
// once at load time into segments (literal text, a variable, a field of a data-set row, a
// built-in function); rendered per request into a caller's reusable buffer, so steady-state
// rendering allocates nothing. Values are typed (string, number, bool, JSON, data-set row) so a
// JSON body renders `"quantity": 5` and `"productId": "X"` as the document needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.hpp"

namespace loadgen::scenario::yaml {

enum class ValueKind : std::uint8_t { kString, kNumber, kBool, kJson, kRow };

// A variable's value. kRow: row `row` of data set `dataset` (text unused).
struct Value {
  ValueKind kind = ValueKind::kString;
  std::string text;
  std::uint32_t row = 0;
  std::uint32_t dataset = 0;
};

// A data set (top-level `data:`): an inline list of scalars, or records from a CSV/JSON file.
// Scalars: rows[i] has one column. Records: rows[i][c] is column `columns[c]`; row_json[i] the
// whole record as compact JSON.
struct Dataset {
  std::string name;
  bool records = false;
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  std::vector<std::string> row_json;
};

// Per-user state a template reads while rendering (worker thread).
struct TemplateEnv {
  const std::vector<Value>* vars = nullptr;
  std::vector<std::int64_t>* counters = nullptr;
  const std::vector<Dataset>* datasets = nullptr;
  core::Rng* rng = nullptr;
  std::string_view session_id;
  std::uint64_t user_id = 0;
};

// How a segment's text goes into the output.
enum class Escape : std::uint8_t {
  kNone,
  kJsonString,  // inside a JSON string: escaped (RFC 8259 §7)
  kJsonValue,   // a whole JSON value: strings quoted and escaped, numbers/bools/JSON/rows raw
  kUrl,         // percent-encoded (RFC 3986 unreserved characters kept)
};

enum class Function : std::uint8_t {
  kUuid,         // uuid(): a random UUID v4
  kRandomInt,    // random_int(a, b): uniform integer in [a, b]
  kChoice,       // choice(data_set): a random element (row) of a data set
  kTimestamp,    // timestamp(): Unix time, whole seconds
  kTimestampMs,  // timestamp_ms(): Unix time, milliseconds
  kCounter,      // counter(name): this user's counter `name`, incremented on each use (1, 2, ...)
  kSessionId,    // session_id(): the user's session.id
  kUserId,       // user_id(): the user's number
};

struct Segment {
  enum class Kind : std::uint8_t { kLiteral, kVar, kField, kFunction };
  Kind kind = Kind::kLiteral;
  Escape escape = Escape::kNone;
  Function function = Function::kUuid;
  std::string text;           // kLiteral: the text; kField: the column name
  std::uint32_t slot = 0;     // kVar/kField: variable slot; kChoice: data set; kCounter: counter
  std::int64_t a = 0, b = 0;  // random_int bounds
};

// What names mean while compiling (the loader's variable table). Returns false if unknown.
class TemplateNames {
 public:
  virtual bool variable(std::string_view name, std::uint32_t& slot) = 0;
  virtual bool dataset(std::string_view name, std::uint32_t& id) = 0;
  virtual std::uint32_t counter(std::string_view name) = 0;  // declares on first use
  // A did-you-mean suggestion for an unknown name (empty: none).
  virtual std::string suggest(std::string_view name) = 0;

 protected:
  ~TemplateNames() = default;
};

class Template {
 public:
  Template() = default;
  explicit Template(std::string literal);

  bool empty() const { return segments_.empty(); }
  // No expressions: literal() is the whole text.
  bool is_literal() const;
  const std::string& literal() const;
  // Exactly one expression and no text: evaluate() keeps the expression's type.
  bool single_expression() const {
    return segments_.size() == 1 && segments_[0].kind != Segment::Kind::kLiteral;
  }

  // Appends the rendered text to `out`; `escape` applies to expression segments whose own
  // escape is kNone (a JSON body sets its own per segment).
  void render(const TemplateEnv& env, std::string& out, Escape escape = Escape::kNone) const;
  // Sets `out` to the value (typed when single_expression(), else a string), reusing its buffer.
  void evaluate(const TemplateEnv& env, Value& out) const;

  // The type evaluate() gives a literal template (a plain YAML scalar: 5, true).
  void set_literal_kind(ValueKind k) { literal_kind_ = k; }
  void append(Segment s);
  void append_literal(std::string_view text);
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;
  ValueKind literal_kind_ = ValueKind::kString;
};

// Compiles `text`. On error returns false and sets `error` (what is wrong, naming the offset).
// `escape` is given to every expression segment.
bool compile_template(std::string_view text, TemplateNames& names, Template& out,
                      std::string& error, Escape escape = Escape::kNone);

// Appends `v` as text (rows: their JSON) with `escape`.
void append_value(const TemplateEnv& env, const Value& v, std::string& out, Escape escape);
// Appends `s` with `escape` (kJsonValue: as a JSON string).
void append_escaped(std::string_view s, std::string& out, Escape escape);

}  // namespace loadgen::scenario::yaml
