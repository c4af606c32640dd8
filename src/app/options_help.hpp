// The table of loadgen's options (names, env vars, groups, help) that the parser in options.cpp
// and the --help text are both generated from, so the two cannot drift apart.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace loadgen::app {

enum class OptionId {
  kHost,
  kUsers,
  kSpawnRate,
  kRunTime,
  kHeadless,
  kAutostart,
  kAutoquit,
  kStopTimeout,
  kLoglevel,
  kLogfile,
  kCsv,
  kCsvFullHistory,
  kPrintStats,
  kOnlySummary,
  kJson,
  kJsonFile,
  kHtml,
  kExitCodeOnError,
  kWebHost,
  kWebPort,
  kWebAuth,
  kTlsCert,
  kTlsKey,
  kResetStats,
  kThreads,
  kScenario,
  kLocustfile,
  kPath,
  kMethod,
  kBody,
  kBodyFile,
  kPeople,
  kHeader,
  kWaitTime,
  kConnectTimeout,
  kTimeout,
  kInsecure,
  kMaxRedirects,
  kMaxBodySize,
  kSeed,
  kFlushTimeout,
  kLoopNap,
  kParkAfter,
  kConnectionPool,
  kTraceLink,
  kTags,
  kExcludeTags,
  kList,
  kShowTaskRatio,
  kShowTaskRatioJson,
  kThreshold,
  kSummaryJson,
  kStages,
  kArrivalRate,
  kArrivalStages,
  kMaxUsers,
  kMaster,
  kMasterBindHost,
  kMasterBindPort,
  kExpectWorkers,
  kExpectWorkersMaxWait,
  kWorker,
  kMasterHost,
  kMasterPort,
  kEnableRebalancing,
};

enum class OptionKind {
  kFlag,   // boolean: bare on the CLI; true/false, yes/no, 1/0 in env and config files
  kValue,  // one value; the last one given on the CLI wins
  kList,   // repeatable; "[a, b]" in env and config files
  kWords,  // argparse's nargs="*": the words after the option (`-T a b`), repeatable (the
           // words add up); "[a, b]" in env and config files
};

enum class OptionGroup { kCommon, kRequest, kLoadgen, kScenario, kDistributed };

struct OptionSpec {
  OptionId id;
  std::string_view long_name;   // without dashes; also the config-file key
  std::string_view short_name;  // one letter without the dash, or empty
  std::string_view env_var;     // LOCUST_* for Locust's options, LOADGEN_* for ours
  OptionKind kind;
  OptionGroup group;
  std::string_view value_name;  // metavar for --help; empty for flags
  std::string_view help;
};

// Every option, in --help order.
std::span<const OptionSpec> option_specs();

// The full --help text (grouped, with env var names and the config-file rules).
std::string help_text();

}  // namespace loadgen::app
