// Tokenizers from GGUF metadata against transformers' GGUF tokenizer
// (tests/reference/make_gguf_tokenizers.py). The byte-level one is checked on
// the real SmolLM2 file in tests/core/test_gguf_smollm2.cpp.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/tokenizer.h"
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

TEST(GgufTokenizer, FileWithoutTokenizerGivesNone) {
  auto file = GgufFile::open(test::data("gguf/quant_types.gguf"));
  EXPECT_EQ(Tokenizer::from_gguf(*file), nullptr);
}

}  // namespace
}  // namespace glassbox
