// Tokenizers from GGUF metadata against transformers' GGUF tokenizer
// (tests/reference/make_gguf_tokenizers.py). The byte-level one is checked on
// the real SmolLM2 file in tests/core/test_gguf_smollm2.cpp and against the
// tokenizer.json path below.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/tokenizer.h"
#include "test_gguf_builder.h"
#include "test_util.h"

namespace glassbox {
namespace {

TEST(GgufTokenizer, SentencePieceMatchesTransformers) {
  auto file = GgufFile::open(test::data("gguf/tokenizers/spm.gguf"));
  auto tokenizer = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer);
  const nlohmann::json reference = read_json_file(test::data("gguf/tokenizers/spm_tokens.json"));
  EXPECT_EQ(tokenizer->bos_id(), reference.at("bos_token_id").get<int64_t>());
  EXPECT_EQ(tokenizer->eos_id(), reference.at("eos_token_id").get<int64_t>());
  const auto& strings = reference.at("strings");
  size_t plain = 0, special = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string text = strings[i].get<std::string>();
    const auto ids = tokenizer->encode(text);
    if (ids == reference.at("ids")[i].get<std::vector<int64_t>>()) {
      ++plain;
    } else {
      ADD_FAILURE() << "string " << i << " '" << text << "'";
    }
    if (tokenizer->encode(text, true) == reference.at("ids_with_special_tokens")[i].get<std::vector<int64_t>>())
      ++special;
  }
  std::printf("[gguf tokenizer] sentencepiece: %zu/%zu strings agree, %zu/%zu with special tokens\n", plain,
              strings.size(), special, strings.size());
  EXPECT_EQ(plain, strings.size());
  EXPECT_EQ(special, strings.size());
}

// A tokenizer.json's vocabulary, merges and added tokens as the GGUF metadata
// llama.cpp's converter writes for it (model gpt2, the given pre-tokenizer).
std::string gguf_from_tokenizer_json(const std::string& json_path, const std::string& pre,
                                     const test::TempDir& dir) {
  const nlohmann::json config = read_json_file(json_path);
  const auto& vocab = config.at("model").at("vocab");
  std::vector<std::string> tokens(vocab.size());
  std::vector<int32_t> types(vocab.size(), 1);  // normal
  for (const auto& [token, id] : vocab.items()) tokens.at(id.get<size_t>()) = token;
  for (const auto& added : config.at("added_tokens")) {
    const size_t id = added.at("id").get<size_t>();
    if (id >= tokens.size()) tokens.resize(id + 1), types.resize(id + 1, 1);
    tokens[id] = added.at("content").get<std::string>();
    types[id] = added.at("special").get<bool>() ? 3 : 4;  // control : user-defined
  }
  std::vector<std::string> merges;
  for (const auto& merge : config.at("model").at("merges"))
    merges.push_back(merge.is_string() ? merge.get<std::string>()
                                       : merge[0].get<std::string>() + " " + merge[1].get<std::string>());
  test::GgufBuilder b;
  b.kv_string("general.architecture", "llama");
  b.kv_string("tokenizer.ggml.model", "gpt2");
  b.kv_string("tokenizer.ggml.pre", pre);
  b.kv_strings("tokenizer.ggml.tokens", tokens);
  b.kv_int32s("tokenizer.ggml.token_type", types);
  b.kv_strings("tokenizer.ggml.merges", merges);
  const std::string path = dir.file(pre + ".gguf");
  b.write(path);
  return path;
}

// llama-bpe (Llama 3) and qwen2 (Qwen3's vocabulary) from GGUF metadata
// against the same tokenizer read from tokenizer.json, which agrees with HF
// (tests/formats/test_tokenizer.cpp). GGUF has no normalizer: Qwen's NFC is
// not applied, as in llama.cpp and transformers' GGUF tokenizer.
TEST(GgufTokenizer, ByteLevelPreTokenizersMatchTokenizerJson) {
  const nlohmann::json corpus = read_json_file(test::data("tokenizers/corpus.json"));
  for (const auto& [folder, pre] : {std::pair{"llama3", "llama-bpe"}, std::pair{"qwen3", "qwen2"}}) {
    SCOPED_TRACE(pre);
    test::TempDir dir;
    const std::string json_path = test::data(std::string("tokenizers/") + folder + "/tokenizer.json");
    auto from_json = Tokenizer::from_tokenizer_json(json_path);
    auto file = GgufFile::open(gguf_from_tokenizer_json(json_path, pre, dir));
    auto from_gguf = Tokenizer::from_gguf(*file);
    ASSERT_TRUE(from_gguf);
    EXPECT_EQ(from_gguf->vocab_size(), from_json->vocab_size());
    // Strings NFC leaves alone are the ones tokenizer.json decodes back to themselves.
    size_t agree = 0, unchanged_by_nfc = 0;
    for (const auto& text : corpus) {
      const std::string s = text.get<std::string>();
      const std::vector<int64_t> reference = from_json->encode(s);
      if (from_json->decode(reference) != s) continue;
      ++unchanged_by_nfc;
      if (from_gguf->encode(s) == reference) {
        ++agree;
      } else {
        ADD_FAILURE() << "'" << s << "' tokenizes differently";
      }
    }
    std::printf("[gguf tokenizer] %s: %zu/%zu strings agree with %s/tokenizer.json (%zu others change under NFC)\n",
                pre, agree, unchanged_by_nfc, folder, corpus.size() - unchanged_by_nfc);
  }
}

TEST(GgufTokenizer, UnknownPreTokenizerIsNamed) {
  test::TempDir dir;
  test::GgufBuilder b;
  b.kv_string("tokenizer.ggml.model", "gpt2");
  b.kv_string("tokenizer.ggml.pre", "no-such-pre");
  b.kv_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
  b.kv_strings("tokenizer.ggml.merges", {"a b"});
  const std::string path = dir.file("pre.gguf");
  b.write(path);
  auto file = GgufFile::open(path);
  try {
    Tokenizer::from_gguf(*file);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": tokenizer.ggml.pre 'no-such-pre' is not supported"),
              std::string::npos)
        << e.what();
  }
}

TEST(GgufTokenizer, FileWithoutTokenizerGivesNone) {
  auto file = GgufFile::open(test::data("gguf/quant_types.gguf"));
  EXPECT_EQ(Tokenizer::from_gguf(*file), nullptr);
}

}  // namespace
}  // namespace glassbox
