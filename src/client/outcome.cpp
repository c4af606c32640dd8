#include "client/outcome.hpp"

namespace loadgen::client {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kHttpStatus:
      return "http_status";
    case Outcome::kResolve:
      return "resolve";
    case Outcome::kConnectRefused:
      return "connect_refused";
    case Outcome::kConnectTimeout:
      return "connect_timeout";
    case Outcome::kConnect:
      return "connect";
    case Outcome::kTls:
      return "tls";
    case Outcome::kReset:
      return "reset";
    case Outcome::kReadTimeout:
      return "read_timeout";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kIncomplete:
      return "incomplete";
    case Outcome::kTooManyRedirects:
      return "too_many_redirects";
    case Outcome::kBodyTooLarge:
      return "body_too_large";
    case Outcome::kCheckFailed:
      return "check_failed";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace loadgen::client
