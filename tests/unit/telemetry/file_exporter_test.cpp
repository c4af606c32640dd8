#include "telemetry/file_exporter.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "telemetry_test_util.hpp"

namespace loadgen::telemetry {
namespace {

using std::chrono::milliseconds;

std::string temp_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("loadgen_telemetry_" + std::to_string(::getpid()) + "_" + tag + ".jsonl"))
      .string();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(OtlpFileExporter, AppendsOneTracesDataJsonLinePerBatch) {
  const std::string path = temp_path("lines");
  std::filesystem::remove(path);
  net::EventLoop loop;
  testing::RecordingLog log;
  {
    OtlpFileSpanExporter exporter(path, &log);
    const auto b1 = testing::make_batch(2);
    const auto b2 = testing::make_batch(3);
    EXPECT_TRUE(testing::run_export(loop, exporter, b1, milliseconds(1000)).ok());
    // Flushed per batch: readable before shutdown.
    EXPECT_EQ(read_lines(path).size(), 1u);
    EXPECT_TRUE(testing::run_export(loop, exporter, b2, milliseconds(1000)).ok());
    exporter.shutdown();
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  std::size_t expected[] = {2, 3};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    const auto& ss = j.at("resourceSpans").at(0).at("scopeSpans").at(0);
    EXPECT_EQ(ss.at("spans").size(), expected[i]);
    EXPECT_EQ(ss.at("scope").at("name"), "loadgen");
    EXPECT_EQ(j.at("resourceSpans")
                  .at(0)
                  .at("resource")
                  .at("attributes")
                  .at(0)
                  .at("value")
                  .at("stringValue"),
              "loadgen-test");
  }
  EXPECT_TRUE(log.lines().empty());
  std::filesystem::remove(path);
}

TEST(OtlpFileExporter, AnUnwritablePathIsReportedOnce) {
  net::EventLoop loop;
  testing::RecordingLog log;
  OtlpFileSpanExporter exporter("/nonexistent-dir/x/traces.jsonl", &log);
  const auto b = testing::make_batch(1);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(testing::run_export(loop, exporter, b, milliseconds(1000)).code,
              ExportResult::Code::kFailure);
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_NE(log.lines()[0].find("/nonexistent-dir/x/traces.jsonl"), std::string::npos);
}

TEST(ConsoleExporter, OneReadableLinePerSpan) {
  const std::string line = ConsoleSpanExporter::format_span(testing::make_span(7));
  EXPECT_NE(line.find("\"span-7\""), std::string::npos) << line;
  EXPECT_NE(line.find("kind=CLIENT"), std::string::npos) << line;
  EXPECT_NE(line.find("duration_ms=1.500"), std::string::npos) << line;
  EXPECT_NE(line.find("http.request.method=\"GET\""), std::string::npos) << line;
  EXPECT_NE(line.find("index=7"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);

  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  net::EventLoop loop;
  ConsoleSpanExporter exporter(f);
  const auto b = testing::make_batch(3);
  EXPECT_TRUE(testing::run_export(loop, exporter, b, milliseconds(1000)).ok());
  std::rewind(f);
  int newlines = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) newlines += c == '\n';
  EXPECT_EQ(newlines, 3);
  std::fclose(f);
}

}  // namespace
}  // namespace loadgen::telemetry
