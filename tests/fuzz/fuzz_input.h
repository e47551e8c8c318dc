#pragma once
// What every fuzzer shares: a scratch folder for inputs that parsers read from
// a path, and the contract check. A parser may reject an input only with
// glassbox::Error; any other exception escapes LLVMFuzzerTestOneInput and
// aborts, which libFuzzer reports as a finding, like a sanitizer report.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/error.h"

namespace glassbox::fuzz {

// /tmp/glassbox-fuzz-<pid>, removed when the fuzzer exits.
inline const std::filesystem::path& scratch_dir() {
  struct Scratch {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("glassbox-fuzz-" + std::to_string(::getpid()));
    Scratch() { std::filesystem::create_directories(path); }
    ~Scratch() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Scratch scratch;
  return scratch.path;
}

// Writes `bytes` to scratch_dir()/relative (folders created) and returns its path.
inline std::string write_scratch_file(const std::string& relative, std::string_view bytes) {
  const std::filesystem::path path = scratch_dir() / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

inline std::string_view as_bytes(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant of a parser's result: reported, then abort() for libFuzzer.
inline void require(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

// Runs `parse`; a glassbox::Error is a clean rejection.
template <class Parse>
void parse_or_reject(Parse&& parse) {
  try {
    parse();
  } catch (const Error&) {
  }
}

}  // namespace glassbox::fuzz
