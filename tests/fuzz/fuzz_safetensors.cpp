// Any byte string handed to the safetensors reader must either open as a file
// whose every tensor lies inside the mapping, or fail with Error.
#include "core/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch_file("input.safetensors", fuzz::as_bytes(data, size));
  fuzz::parse_or_reject([&] {
    auto file = SafetensorsFile::open(path);
    // Reading every byte lets AddressSanitizer catch a record pointing outside the mapping.
    uint8_t sum = 0;
    for (const auto& [name, record] : file->tensors()) {
      fuzz::require(record.nbytes == static_cast<size_t>(record.numel()) * dtype_size(record.dtype),
                    "a tensor's byte count is numel * dtype size");
      for (size_t i = 0; i < record.nbytes; ++i) sum ^= static_cast<uint8_t>(record.data[i]);
    }
    volatile uint8_t sink = sum;
    (void)sink;
  });
  return 0;
}
