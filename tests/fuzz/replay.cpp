// cspt_fuzz_replay TARGET PATH...: runs the harness TARGET on every file (or every file of every
// folder) given, as libFuzzer would. Used by the ordinary suite to replay the seed corpus and every
// input that once crashed a reader; a finding aborts (or is reported by a sanitizer) with the file
// named on stderr first.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz_target.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cspt_fuzz_replay TARGET FILE|FOLDER...\n";
    return 2;
  }
  const cspt::fuzz::Harness harness = cspt::fuzz::harness_named(argv[1]);
  if (harness == nullptr) {
    std::cerr << "cspt_fuzz_replay: target = " << argv[1] << ": one of mrc, star, mdoc, config, imod, project\n";
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::cerr << "cspt_fuzz_replay: " << p.string() << ": not a file or folder\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::cerr << "replay " << argv[1] << ": " << f.string() << " (" << bytes.size() << " bytes)\n";
    harness(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "cspt_fuzz_replay " << argv[1] << ": " << files.size() << " inputs, no finding\n";
  return 0;
}
