// GGUF copies of the committed HF test models (tests/reference/make_gguf_models.py,
// laid out as llama.cpp's converter writes them) give the numbers Hugging Face
// computes from the folders: logits and every hook point within 1e-4.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

using test::Golden;
using test::relative_error;

std::vector<Golden> goldens_with_gguf() {
  std::vector<Golden> out;
  for (Golden& g : test::load_goldens())
    if (std::filesystem::exists(test::data("gguf/models/" + g.name + ".gguf"))) out.push_back(std::move(g));
  return out;
}

class GgufParity : public ::testing::TestWithParam<Golden> {};

TEST_P(GgufParity, LogitsAndEveryHookMatchHuggingFace) {
  const Golden& g = GetParam();
  LoadOptions options;
  options.device = test::device();
  auto model = load_model(test::data("gguf/models/" + g.name + ".gguf"), options);
  auto folder_model = load_model(g.model_dir, options);
  EXPECT_EQ(model->info().format, "gguf");
  EXPECT_EQ(folder_model->info().format, "safetensors");
  EXPECT_EQ(model->info().family, folder_model->info().family);
  EXPECT_EQ(model->info().weights_dtype, g.weights_dtype);
  EXPECT_EQ(model->info().hook_names, folder_model->info().hook_names);
  EXPECT_EQ(model->info().n_params, folder_model->info().n_params);
  EXPECT_EQ(model->tokenizer(), nullptr);  // these files carry no tokenizer

  const test::GoldenComparison c = test::compare_with_golden(*model, g);
  std::printf("[gguf parity] %-16s %-9s %s: %d hooks + logits, max relative error %.2e\n", g.name.c_str(),
              model->info().family.c_str(), g.weights_dtype.c_str(), c.hooks, c.worst);
}

INSTANTIATE_TEST_SUITE_P(Goldens, GgufParity, ::testing::ValuesIn(goldens_with_gguf()),
                         [](const auto& info) { return info.param.name; });

TEST(GgufModel, EveryFamilyHasAGgufCopy) {
  std::set<std::string> families;
  for (const Golden& g : goldens_with_gguf()) families.insert(g.family);
  EXPECT_EQ(families, (std::set<std::string>{"gpt2", "gpt_neox", "llama", "qwen2"}));
}

// The compute dtype applies to GGUF weights as to the folder's: same weights,
// same bfloat16 logits.
TEST(GgufModel, Bfloat16ComputeEqualsTheFolders) {
  LoadOptions options;
  options.device = test::device();
  options.dtype = "bfloat16";
  auto gguf = load_model(test::data("gguf/models/llama_gqa.gguf"), options);
  auto folder = load_model(test::data("models/llama_gqa"), options);
  EXPECT_EQ(gguf->dtype(), c10::kBFloat16);
  const std::vector<int64_t> ids = {1, 5, 9, 200, 37, 511};
  EXPECT_TRUE(at::equal(gguf->run(ids).logits, folder->run(ids).logits));
}

TEST(GgufModel, AFileThatIsNeitherIsRejected) {
  const std::string path = test::data("tokenizers/corpus.json");
  try {
    load_model(path);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": not a model: expected a Hugging Face model folder or a .gguf file");
  }
}

TEST(GgufModel, UnsupportedArchitectureIsNamed) {
  // The quantization goldens declare architecture glassbox_test.
  try {
    load_model(test::data("gguf/quant_types.gguf"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("quant_types.gguf: general.architecture 'glassbox_test' is not supported"),
              std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace glassbox
