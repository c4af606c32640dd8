// Replays fuzz corpora without libFuzzer: runs LLVMFuzzerTestOneInput on every file of the
// directories (or the files) named on the command line, so corpora run as ordinary tests.
// Fails when a directory is missing or empty, so a mistyped corpus path cannot pass silently.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // Copy into an exactly sized heap buffer so ASan catches reads past the end, as libFuzzer does.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  std::uint8_t* data = input.empty() ? nullptr : input.data();
  LLVMFuzzerTestOneInput(data, input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  int rc = 0;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::fprintf(stderr, "replay: corpus directory %s is empty\n", arg.c_str());
        rc = 1;
      }
      for (const auto& f : files) {
        if (!run_file(f)) rc = 1;
        ++total;
      }
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      if (!run_file(arg)) rc = 1;
      ++total;
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", arg.c_str());
      rc = 1;
    }
  }
  std::printf("replay: %zu inputs run%s\n", total, rc == 0 ? "" : " (with errors)");
  return rc;
}
