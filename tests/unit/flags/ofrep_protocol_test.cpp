// Tests for flags/ofrep_protocol: the OFREP evaluation response shapes (open-feature/protocol
// service/openapi.yaml), malformed answers, the request path encoding and body.
#include "flags/ofrep_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace loadgen::flags {
namespace {

TEST(ParseOfrepResponse, SuccessWithInteger) {
  const auto r =
      parse_ofrep_response(200, R"({"key":"loadGeneratorFloodHomepage","value":100,"variant":"on",)"
                                R"("reason":"STATIC","metadata":{"flagSetId":"x","version":1}})");
  ASSERT_TRUE(r.ok()) << r.error_details;
  EXPECT_EQ(std::get<std::int64_t>(r.value), 100);
  EXPECT_EQ(r.key, "loadGeneratorFloodHomepage");
  EXPECT_EQ(r.variant, "on");
  EXPECT_EQ(r.reason, "STATIC");
  EXPECT_TRUE(r.error_code.empty());
}

TEST(ParseOfrepResponse, SuccessValueTypes) {
  EXPECT_EQ(std::get<bool>(parse_ofrep_response(200, R"({"value":true})").value), true);
  EXPECT_EQ(std::get<double>(parse_ofrep_response(200, R"({"value":3.5})").value), 3.5);
  EXPECT_EQ(std::get<std::int64_t>(parse_ofrep_response(200, R"({"value":-7})").value), -7);
  EXPECT_EQ(std::get<std::string>(parse_ofrep_response(200, R"({"value":"red"})").value), "red");
  EXPECT_EQ(std::get<JsonText>(parse_ofrep_response(200, R"({"value":{"a": [1, 2]}})").value),
            JsonText{R"({"a":[1,2]})"});
  // Beyond int64: kept as a number, not wrapped.
  EXPECT_EQ(std::get<double>(parse_ofrep_response(200, R"({"value":18446744073709551615})").value),
            18446744073709551615.0);
  EXPECT_EQ(
      std::get<std::int64_t>(parse_ofrep_response(200, R"({"value":9223372036854775807})").value),
      9223372036854775807);
}

TEST(ParseOfrepResponse, NoValueDefersToCodeDefault) {
  // OFREP ADR 0006 (codeDefaultFlag): a success without value means "use the code default".
  const auto r = parse_ofrep_response(200, R"({"key":"f","reason":"DEFAULT","variant":"control"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.value));
  EXPECT_EQ(r.reason, "DEFAULT");
}

TEST(ParseOfrepResponse, FlagNotFound) {
  const auto r = parse_ofrep_response(
      404, R"({"key":"nope","errorCode":"FLAG_NOT_FOUND","errorDetails":"flag 'nope' not found"})");
  EXPECT_EQ(r.error, EvalError::kFlagNotFound);
  EXPECT_EQ(r.error_code, "FLAG_NOT_FOUND");
  EXPECT_EQ(r.error_details, "flag 'nope' not found");
  EXPECT_EQ(r.key, "nope");
}

TEST(ParseOfrepResponse, EvaluationFailureCodes) {
  for (const char* code : {"PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"}) {
    const auto r =
        parse_ofrep_response(400, std::string(R"({"key":"f","errorCode":")") + code + R"("})");
    EXPECT_EQ(r.error, EvalError::kFlagError) << code;
    EXPECT_EQ(r.error_code, code);
    EXPECT_TRUE(r.error_details.empty());
  }
  // An errorCode in a 2xx answer is still a failure.
  const auto r = parse_ofrep_response(200, R"({"key":"f","errorCode":"GENERAL","value":1})");
  EXPECT_EQ(r.error, EvalError::kFlagError);
}

TEST(ParseOfrepResponse, HttpStatusWithoutOfrepBody) {
  auto r = parse_ofrep_response(500, R"({"errorDetails":"database down"})");
  EXPECT_EQ(r.error, EvalError::kHttpStatus);
  EXPECT_EQ(r.error_code, "GENERAL");
  EXPECT_EQ(r.error_details, "HTTP 500: database down");
  r = parse_ofrep_response(401, "");
  EXPECT_EQ(r.error, EvalError::kHttpStatus);
  EXPECT_EQ(r.error_details, "HTTP 401");
  r = parse_ofrep_response(429, "<html>slow down</html>");
  EXPECT_EQ(r.error, EvalError::kHttpStatus);
  r = parse_ofrep_response(302, "");
  EXPECT_EQ(r.error, EvalError::kHttpStatus);
}

TEST(ParseOfrepResponse, Malformed) {
  for (const char* body :
       {"", "not json", "{", "[1]", "42", R"({"value":null})", R"({"value":1,"variant":5})",
        R"({"value":1,"reason":false})", R"({"value":1,"metadata":"x"})", R"({"key":1})",
        R"({"errorCode":5})", "{\"value\":\"\xff\"}"}) {
    const auto r = parse_ofrep_response(200, body);
    EXPECT_EQ(r.error, EvalError::kMalformed) << body;
    EXPECT_EQ(r.error_code, "PARSE_ERROR") << body;
    EXPECT_FALSE(r.error_details.empty()) << body;
  }
}

TEST(ParseOfrepResponse, DeepNestingIsRefused) {
  const std::string deep =
      R"({"value":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(parse_ofrep_response(200, deep).error, EvalError::kMalformed);
  const std::string ok = R"({"value":)" + std::string(10, '[') + std::string(10, ']') + "}";
  EXPECT_TRUE(parse_ofrep_response(200, ok).ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_ofrep_response(200, R"({"value":")" + std::string(1000, '[') + "\"}").ok());
}

TEST(OfrepPath, PercentEncodesTheKey) {
  EXPECT_EQ(ofrep_evaluate_path("loadGeneratorTraffic"),
            "/ofrep/v1/evaluate/flags/loadGeneratorTraffic");
  EXPECT_EQ(ofrep_evaluate_path("a-b.c_d~e"), "/ofrep/v1/evaluate/flags/a-b.c_d~e");
  EXPECT_EQ(ofrep_evaluate_path("a b/c?d#e%\xc3\xa4"),
            "/ofrep/v1/evaluate/flags/a%20b%2Fc%3Fd%23e%25%C3%A4");
  EXPECT_EQ(ofrep_evaluate_path(".."), "/ofrep/v1/evaluate/flags/%2E%2E");
  EXPECT_EQ(ofrep_evaluate_path("a..b"), "/ofrep/v1/evaluate/flags/a..b");
}

TEST(OfrepRequestBody, ContextWithOptionalTargetingKey) {
  EXPECT_EQ(ofrep_request_body(""), R"({"context":{}})");
  EXPECT_EQ(ofrep_request_body("user \"1\""), R"({"context":{"targetingKey":"user \"1\""}})");
}

}  // namespace
}  // namespace loadgen::flags
