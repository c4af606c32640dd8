#include "core/luhn.hpp"

#include <gtest/gtest.h>

namespace loadgen::core {
namespace {

TEST(Luhn, ValidAndInvalidNumbers) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));  // the usual Visa test number
  EXPECT_TRUE(luhn_valid("5555555555554444"));  // MasterCard test number
  EXPECT_TRUE(luhn_valid("79927398713"));       // ISO/IEC 7812-1 Annex B example
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_TRUE(luhn_valid("0"));
}

TEST(Luhn, SeparatorsAreSkippedAndNoDigitsFails) {
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_valid("4111-1111-1111-1111"));
  EXPECT_FALSE(luhn_valid("4111 1111 1111 1112"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid(" - "));
}

}  // namespace
}  // namespace loadgen::core
