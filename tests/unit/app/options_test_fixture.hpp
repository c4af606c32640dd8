// The fixture of app/options' tests (options_test.cpp, options_sources_test.cpp,
// options_validation_test.cpp): parse_options with a fake environment, in a temporary directory.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "app/options.hpp"

namespace loadgen::app {

using Env = std::map<std::string, std::string>;

// Runs each test in a fresh temporary directory (./locust.conf is read from the cwd) with a
// fresh fake HOME inside it.
class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = std::filesystem::current_path();
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("loadgen_options_test_" + std::to_string(rd()) + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "home");
    std::filesystem::current_path(dir_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Env env(std::initializer_list<std::pair<const std::string, std::string>> vars = {}) {
    Env e(vars);
    e.emplace("HOME", (dir_ / "home").string());
    return e;
  }

  ParseResult parse(std::vector<std::string> args, const Env& e) {
    args.insert(args.begin(), "loadgen");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return parse_options(static_cast<int>(args.size()), argv.data(), e);
  }
  ParseResult parse(std::vector<std::string> args) { return parse(std::move(args), env()); }

  Options ok(std::vector<std::string> args, const Env& e) {
    ParseResult r = parse(std::move(args), e);
    EXPECT_EQ(r.action, ParseResult::Action::kRun) << r.output;
    return r.options;
  }
  Options ok(std::vector<std::string> args) { return ok(std::move(args), env()); }

  // Expects a usage error and returns its output.
  std::string fails(std::vector<std::string> args, const Env& e) {
    ParseResult r = parse(std::move(args), e);
    EXPECT_EQ(r.action, ParseResult::Action::kExit);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("Run with --help for usage."));
    return r.output;
  }
  std::string fails(std::vector<std::string> args) { return fails(std::move(args), env()); }

  std::filesystem::path old_cwd_;
  std::filesystem::path dir_;
};

}  // namespace loadgen::app
