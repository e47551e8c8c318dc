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

struct Tokenizers {
  std::unique_ptr<Tokenizer> gpt2;                   // vocab.json + merges.txt
  std::vector<std::unique_ptr<Tokenizer>> from_json;  // tokenizer.json
};

const Tokenizers& tokenizers() {
  static const Tokenizers loaded = [] {
    const std::string dir = std::string(GLASSBOX_TEST_DATA) + "/tokenizers/";
    Tokenizers t;
    t.gpt2 = Tokenizer::from_vocab_merges(dir + "gpt2/vocab.json", dir + "gpt2/merges.txt");
    for (const char* name : {"llama3", "qwen3", "metaspace", "metaspace_always", "metaspace_legacy"})
      t.from_json.push_back(Tokenizer::from_tokenizer_json(dir + name + "/tokenizer.json"));
    return t;
  }();
  return loaded;
}

}  // namespace

// Loading takes seconds (Llama 3's and Qwen3's vocabularies), so it happens
// before fuzzing, outside the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& gpt2 = *tokenizers().gpt2;
  const std::string_view text = fuzz::as_bytes(data, size);
  // Encoding any text must succeed: here even an Error is a finding.
  fuzz::encode_and_decode(gpt2, text);
  const std::string decoded = gpt2.decode(gpt2.encode(text));
  fuzz::require(gpt2.decode(gpt2.encode(decoded)) == decoded, "byte-level BPE gives decoded text back");
  for (const auto& tokenizer : tokenizers().from_json) fuzz::encode_and_decode(*tokenizer, text);
  return 0;
}
