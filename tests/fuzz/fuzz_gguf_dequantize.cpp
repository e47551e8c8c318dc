// Dequantization of every supported tensor type on arbitrary block bytes: the
// first input byte picks the type, the rest are the tensor's data, as many
// rows of 256 values (a whole number of blocks of every type) as it holds.
// The result must be exactly numel floats, the same however the blocks are
// split over threads; NaN and infinity are fine (F16 and F32 bits can spell
// them), reading or writing outside is not.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "tests/formats/test_gguf_builder.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

namespace {

constexpr uint64_t kRowLength = 256;
constexpr uint64_t kMaxRows = 64;

// A GGUF file holding one tensor of `rows` rows of `type`, its data `bytes`.
std::shared_ptr<GgufFile> open_tensor(uint32_t type, uint64_t rows, std::string_view bytes) {
  test::GgufBuilder builder;
  builder.tensor("t", {kRowLength, rows}, type, 0);
  std::string file = builder.bytes();
  file.append(bytes);
  return GgufFile::open(fuzz::write_scratch_file("input.gguf", file));
}

// Each dequantizable type's bytes per row, as the reader computes them for a
// one-row file with room to spare (8 bytes a value is more than any type takes).
std::map<uint32_t, size_t> row_bytes_by_type() {
  std::map<uint32_t, size_t> row_bytes;
  for (uint32_t id = 0; id < 64; ++id) {
    if (!ggml_type_dequantizable(static_cast<GgmlType>(id))) continue;
    row_bytes[id] = open_tensor(id, 1, std::string(kRowLength * 8, '\0'))->tensors()[0].nbytes;
  }
  return row_bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<uint32_t, size_t> row_bytes_by_type_id = row_bytes_by_type();
  if (size < 1) return 0;
  auto [type, row_bytes] = *std::next(row_bytes_by_type_id.begin(), data[0] % row_bytes_by_type_id.size());
  const std::string_view bytes = fuzz::as_bytes(data + 1, size - 1);
  const uint64_t rows = std::min<uint64_t>(bytes.size() / row_bytes, kMaxRows);
  if (rows == 0) return 0;
  auto file = open_tensor(type, rows, bytes.substr(0, rows * row_bytes));
  const GgufTensor& tensor = file->tensors()[0];
  fuzz::require(tensor.numel() == static_cast<int64_t>(kRowLength * rows), "the tensor has rows * 256 values");
  std::vector<float> one_thread(static_cast<size_t>(tensor.numel())), three_threads(one_thread.size());
  file->dequantize(tensor, one_thread.data(), 1);
  file->dequantize(tensor, three_threads.data(), 3);
  fuzz::require(std::memcmp(one_thread.data(), three_threads.data(), one_thread.size() * sizeof(float)) == 0,
                "the values do not depend on the number of threads");
  return 0;
}
