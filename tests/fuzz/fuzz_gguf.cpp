// Any byte string handed to the GGUF reader must either open as a file whose
// metadata reads back and whose every tensor lies inside the mapping (and
// dequantizes to numel floats, and, where the metadata holds a vocabulary,
// builds a tokenizer that keeps the tokenizer's contract, tests/fuzz/fuzz_tokenizer.h),
// or fail with Error.
#include <vector>

#include "core/gguf.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_tokenizer.h"

using namespace glassbox;

namespace {

// Touches every element so that a value pointing outside the mapping is read.
void read_value(const GgufValue& value) {
  if (value.type != GgufValueType::ARRAY) return;
  if (value.scalars) {
    for (uint64_t i = 0; i < value.count; ++i) (void)value.element(i);
  }
  size_t bytes = 0;
  for (std::string_view s : value.strings) bytes += s.empty() ? 0 : static_cast<unsigned char>(s.back());
  volatile size_t sink = bytes;
  (void)sink;
  for (const GgufValue& inner : value.arrays) read_value(inner);
}

// Dequantizing is linear in numel; larger tensors only slow the fuzzer down.
constexpr int64_t kMaxDequantizedValues = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch_file("input.gguf", fuzz::as_bytes(data, size));
  fuzz::parse_or_reject([&] {
    auto file = GgufFile::open(path);
    for (const auto& [key, value] : file->metadata()) read_value(value);
    const std::byte* begin = file->mapping()->data();
    const std::byte* end = begin + file->mapping()->size();
    for (const GgufTensor& t : file->tensors()) {
      fuzz::require(t.data >= begin && t.nbytes <= static_cast<size_t>(end - t.data), "a tensor lies inside the file");
      fuzz::require(file->tensor(t.name) == &t, "a tensor is found by its name");
      if (!ggml_type_dequantizable(t.type) || t.numel() > kMaxDequantizedValues) continue;
      std::vector<float> values(static_cast<size_t>(t.numel()));
      file->dequantize(t, values.data(), 1);
    }
    auto tokenizer = Tokenizer::from_gguf(*file);
    if (tokenizer) fuzz::encode_and_decode(*tokenizer, "Hello, world! 1234 \xc3\xa9t\xc3\xa9");
  });
  return 0;
}
