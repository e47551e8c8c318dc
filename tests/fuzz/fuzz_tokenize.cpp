// Any text encoded by the committed tokenizers (GPT-2's byte-level BPE, Llama
// 3, Qwen3 and the SentencePiece-style Metaspace one) must give ids inside the
// vocabulary that decode again. GPT-2's byte-level BPE loses nothing but
// invalid UTF-8 (decoded as U+FFFD), so what it decodes encodes and decodes
// to itself.
#include <memory>
#include <vector>

#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_tokenizer.h"

using namespace glassbox;

namespace {

const std::string kTokenizers = std::string(GLASSBOX_TEST_DATA) + "/tokenizers/";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Tokenizer> gpt2 =
      Tokenizer::from_vocab_merges(kTokenizers + "gpt2/vocab.json", kTokenizers + "gpt2/merges.txt");
  static const std::vector<std::unique_ptr<Tokenizer>> from_json = [] {
    std::vector<std::unique_ptr<Tokenizer>> tokenizers;
    for (const char* name : {"llama3", "qwen3", "metaspace", "metaspace_always", "metaspace_legacy"})
      tokenizers.push_back(Tokenizer::from_tokenizer_json(kTokenizers + name + "/tokenizer.json"));
    return tokenizers;
  }();
  const std::string_view text = fuzz::as_bytes(data, size);
  // Encoding any text must succeed: here even an Error is a finding.
  fuzz::encode_and_decode(*gpt2, text);
  const std::string decoded = gpt2->decode(gpt2->encode(text));
  fuzz::require(gpt2->decode(gpt2->encode(decoded)) == decoded, "byte-level BPE gives decoded text back");
  for (const auto& tokenizer : from_json) fuzz::encode_and_decode(*tokenizer, text);
  return 0;
}
