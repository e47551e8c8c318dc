#include "core/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>

#include "core/error.h"
#include "hostile_files.h"
#include "test_gguf_builder.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::TempDir;

// ---------------------------------------------------------------- goldens

// Every supported type against what PyPI gguf dequantizes the same bytes to
// (tests/reference/make_gguf_goldens.py).
TEST(Gguf, EveryTypeDequantizesLikeTheReference) {
  auto file = GgufFile::open(test::data("gguf/quant_types.gguf"));
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->string("glassbox.purpose"), "dequantization goldens");
  const char* types[] = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                         "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};
  for (const char* type : types) {
    SCOPED_TRACE(type);
    const GgufTensor* quantized = file->tensor(type);
    const GgufTensor* expected = file->tensor(std::string(type) + ".expected");
    ASSERT_TRUE(quantized && expected);
    EXPECT_STREQ(ggml_type_name(quantized->type), type);
    EXPECT_EQ(quantized->shape, (std::vector<int64_t>{3, 512}));
    ASSERT_EQ(expected->type, GgmlType::F32);
    std::vector<float> got(static_cast<size_t>(quantized->numel())), want(got.size());
    file->dequantize(*quantized, got.data());
    file->dequantize(*expected, want.data());
    double max_relative = 0;
    size_t mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] == want[i]) continue;
      const double relative = std::abs(double(got[i]) - want[i]) / std::max(std::abs(double(want[i])), 1e-30);
      max_relative = std::max(max_relative, relative);
      if (!(relative <= 1e-6)) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0u) << "max relative error " << max_relative;
    std::cout << "[ gguf     ] " << type << ": max relative error " << max_relative << "\n";
  }
}

TEST(Gguf, ShapeIsRowMajor) {
  auto file = GgufFile::open(test::data("gguf/quant_types.gguf"));
  const GgufTensor* t = file->tensor("arange_2x3x64");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3, 64}));
  EXPECT_EQ(t->ne, (std::vector<int64_t>{64, 3, 2}));
  std::vector<float> values(static_cast<size_t>(t->numel()));
  file->dequantize(*t, values.data());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(values[i], float(i));
}

// ---------------------------------------------------------------- crafted files

// A GGUF file built field by field; each test breaks one field.
struct Crafted : test::GgufBuilder {
  std::string write(const TempDir& dir) const {
    const std::string path = dir.file("crafted.gguf");
    GgufBuilder::write(path);
    return path;
  }
};

constexpr uint32_t kF32 = 0, kQ8_0 = 8, kQ8_1 = 9;

// Two F32 tensors of 4 values, back to back, and one string value.
Crafted valid_file() {
  Crafted c;
  c.kv_string("general.architecture", "llama");
  c.tensor("a", {4}, kF32, 0);
  c.tensor("b", {2, 2}, kF32, 32);
  c.data_bytes = 48;
  return c;
}

std::string error_opening(const std::string& path) {
  return test::error_of([&] { GgufFile::open(path); });
}

// One error that names the file and says what is wrong.
void expect_rejected(const Crafted& crafted, const std::string& problem) {
  TempDir dir;
  const std::string path = crafted.write(dir);
  const std::string message = error_opening(path);
  EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
}

TEST(Gguf, CraftedValidFileOpens) {
  TempDir dir;
  auto file = GgufFile::open(valid_file().write(dir));
  EXPECT_EQ(file->string("general.architecture"), "llama");
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->tensor("b")->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(file->tensor("b")->nbytes, 16u);
  EXPECT_EQ(file->tensor("missing"), nullptr);
  EXPECT_THROW(file->integer("general.architecture"), Error);
  EXPECT_THROW(file->integer("no.such.key"), Error);
  EXPECT_EQ(file->integer("no.such.key", 7), 7);
}

// Every way tests/hostile_files.h breaks a file's structure gives one line
// naming the file and the problem; the files whose structure is sound but whose
// model is wrong open, for the model loader to refuse.
TEST(Gguf, HostileFilesAreRefusedNamingTheFileAndTheProblem) {
  TempDir dir;
  const auto cases = test::write_hostile_gguf_files(dir.path());
  EXPECT_GE(cases.size(), 30u);
  for (const test::HostileFile& c : cases) EXPECT_TRUE(test::names_file_and_problem(error_opening(c.path), c));
  for (const test::HostileFile& c : test::write_hostile_gguf_models(dir.path()))
    EXPECT_EQ(error_opening(c.path), "(no error)");
}

TEST(Gguf, AcceptsVersion2) {
  Crafted c = valid_file();
  c.version = 2;
  TempDir dir;
  EXPECT_EQ(GgufFile::open(c.write(dir))->version(), 2u);
}

TEST(Gguf, HonoursAlignment) {
  Crafted c;
  c.kv_u32("general.alignment", 64);
  c.alignment = 64;
  c.tensor("a", {4}, kF32, 0);
  c.tensor("b", {4}, kF32, 64);
  c.data_bytes = 80;
  TempDir dir;
  auto file = GgufFile::open(c.write(dir));
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->tensor("b")->data - file->tensor("a")->data, 64);
  c.tensor("c", {4}, kF32, 32);
  c.data_bytes = 160;
  expect_rejected(c, "tensor 'c': offset 32 is not a multiple of the alignment 64");
}

// Cut anywhere, a file gives one error naming it; cut inside the fixed
// header, the error says where the file ends.
TEST(Gguf, RejectsTruncatedFile) {
  const std::string bytes = valid_file().bytes();
  TempDir dir;
  const std::string path = dir.file("cut.gguf");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
    const std::string message = error_opening(path);
    ASSERT_EQ(message.rfind(path + ": ", 0), 0u) << "cut at " << cut << ": " << message;
    if (cut >= 4 && cut < 24) {
      EXPECT_NE(message.find("the file ends at byte " + std::to_string(cut)), std::string::npos) << message;
    }
  }
}

TEST(Gguf, UnsupportedTypeNamesTensorAndType) {
  Crafted c;
  c.tensor("blk.0.attn_q.weight", {32}, kQ8_1, 0);
  c.data_bytes = 64;
  TempDir dir;
  auto file = GgufFile::open(c.write(dir));
  std::vector<float> out(32);
  try {
    file->dequantize(*file->tensor("blk.0.attn_q.weight"), out.data());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("tensor 'blk.0.attn_q.weight' has type Q8_1, which is not supported"), std::string::npos)
        << message;
  }
}

// Damaged anywhere in its header, a real file either still opens or gives one
// Error naming it: never a crash or a huge allocation.
TEST(Gguf, DamagedHeadersGiveErrorsNotCrashes) {
  std::ifstream in(test::data("gguf/quant_types.gguf"), std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t header_bytes = 1472;  // where the first tensor's data starts
  std::mt19937 rng(11);
  TempDir dir;
  const std::string path = dir.file("damaged.gguf");
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = original;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
      bytes[rng() % header_bytes] = static_cast<char>(rng());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    try {
      GgufFile::open(path);
    } catch (const Error& e) {
      ASSERT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 100);
}

// Many threads give the same floats as one.
TEST(Gguf, ThreadedDequantizationMatchesSingleThreaded) {
  constexpr uint64_t kBlocks = 1 << 16;
  Crafted c;
  c.tensor("w", {32 * kBlocks}, kQ8_0, 0);
  std::string bytes = c.bytes();
  std::mt19937 rng(7);
  for (uint64_t b = 0; b < kBlocks; ++b) {
    const uint16_t scale = static_cast<uint16_t>(0x2000 + rng() % 0x1000);  // finite, positive
    bytes += static_cast<char>(scale & 0xFF);
    bytes += static_cast<char>(scale >> 8);
    for (int j = 0; j < 32; ++j) bytes += static_cast<char>(rng());
  }
  TempDir dir;
  const std::string path = dir.file("big.gguf");
  std::ofstream(path, std::ios::binary) << bytes;
  auto file = GgufFile::open(path);
  std::vector<float> one(32 * kBlocks), many(32 * kBlocks);
  file->dequantize(*file->tensor("w"), one.data(), 1);
  file->dequantize(*file->tensor("w"), many.data(), 4);
  EXPECT_EQ(one, many);
}

}  // namespace
}  // namespace glassbox
