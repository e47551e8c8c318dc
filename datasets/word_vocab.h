#pragma once
// A word-level vocabulary for the toy transformers, saved as a Hugging Face
// tokenizer.json in the Llama 2 (legacy SentencePiece BPE) layout, so typed
// prompts such as "mother of boss of Alice is" tokenize into one token per word
// with the same ids in Glassbox and in the `tokenizers` library.
//
// Ids: 0 <unk>, 1 <s> (BOS, added by add_special_tokens), 2 </s>, 3..258 the
// byte-fallback tokens, then "▁" and the characters and word prefixes that the
// merges build, in the order words were added.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace glassbox::datasets {

class WordVocab {
 public:
  WordVocab();
  // The id of "▁word" (the word after a space), adding it and the pieces that
  // build it. Words are non-empty and hold no spaces.
  int64_t add(const std::string& word);
  int64_t id(const std::string& word) const;  // Error if the word was never added
  static constexpr int64_t bos_id() { return 1; }
  int64_t size() const { return static_cast<int64_t>(pieces_.size()); }
  const std::vector<std::string>& words() const { return words_; }

  nlohmann::json tokenizer_json() const;

 private:
  int64_t piece(const std::string& text);  // id of a piece, added if new

  std::vector<std::string> pieces_;         // by id
  std::map<std::string, int64_t> ids_;      // piece -> id
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<std::string> words_;
};

}  // namespace glassbox::datasets
