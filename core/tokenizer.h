#pragma once
// Hugging Face compatible BPE tokenizers: byte-level BPE (GPT-2, Llama 3,
// Qwen2/3, GPT-NeoX) and SentencePiece-style BPE with Metaspace and
// byte_fallback (Llama 2, Mistral), from tokenizer.json, vocab.json + merges.txt
// or GGUF metadata. Ids equal those of the `tokenizers` library.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox {

class GgufFile;

class Tokenizer {
 public:
  // tokenizer.json if present, else vocab.json + merges.txt. Throws Error if the
  // folder has neither or a file is malformed (naming the file and the problem).
  static std::unique_ptr<Tokenizer> from_dir(const std::string& dir);
  static std::unique_ptr<Tokenizer> from_tokenizer_json(const std::string& path);
  static std::unique_ptr<Tokenizer> from_vocab_merges(const std::string& vocab_json,
                                                      const std::string& merges_txt);
  // From a GGUF file's tokenizer.ggml.* metadata: model "gpt2" (byte-level BPE
  // with the pre-tokenizer tokenizer.ggml.pre names) or "llama" (SentencePiece
  // BPE from scores, byte fallback); control and user-defined token types
  // become special and plain added tokens, add_bos/eos_token the template.
  // Null when the file has no tokenizer; Error names the file and the key.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);
  ~Tokenizer();

  // Like HF encode(text, add_special_tokens=...): the flag applies the
  // post-processor's template (BOS/EOS).
  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens = false) const;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;
  // How one token reads on its own (decoded; for labels and chips).
  std::string token_text(int64_t id) const;
  std::optional<int64_t> token_to_id(std::string_view token) const;  // raw vocabulary entry
  int64_t vocab_size() const;  // including added tokens
  std::optional<int64_t> bos_id() const;
  std::optional<int64_t> eos_id() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace glassbox
