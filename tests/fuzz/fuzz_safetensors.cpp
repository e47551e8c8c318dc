// libFuzzer target: any byte string handed to the safetensors reader must either
// open as a file whose every tensor lies inside the mapping, or fail with Error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "core/safetensors.h"

namespace {

// The reader takes a path (it memory-maps), so each input goes through one
// file, removed when the fuzzer exits.
struct InputFile {
  const std::string path = "/tmp/glassbox-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  ~InputFile() { std::remove(path.c_str()); }
};

const std::string& input_path() {
  static const InputFile file;
  return file.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* out = std::fopen(input_path().c_str(), "wb");
  if (!out) return 0;
  std::fwrite(data, 1, size, out);
  std::fclose(out);
  try {
    auto file = glassbox::SafetensorsFile::open(input_path());
    // Reading every byte lets AddressSanitizer catch a record pointing outside the mapping.
    uint8_t sum = 0;
    for (const auto& [name, record] : file->tensors()) {
      if (record.nbytes != static_cast<size_t>(record.numel()) * glassbox::dtype_size(record.dtype)) __builtin_trap();
      for (size_t i = 0; i < record.nbytes; ++i) sum ^= static_cast<uint8_t>(record.data[i]);
    }
    volatile uint8_t sink = sum;
    (void)sink;
  } catch (const glassbox::Error&) {
  }
  return 0;
}
