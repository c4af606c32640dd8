// Result<T>: a value or an operational Error (stable code, message naming the input, hint).
// Used at boundaries (config, files, start-up); never on the per-request path.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace loadgen::core {

struct Error {
  std::string code;     // stable, machine-readable: "bad_value", "unknown_option", ...
  std::string message;  // names the input and what was wrong
  std::string hint;     // what to do about it; may be empty
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string code, std::string message, std::string hint = {}) {
  return Error{std::move(code), std::move(message), std::move(hint)};
}

}  // namespace loadgen::core
