#pragma once
// The tokenizer's contract on any text: ids inside the vocabulary, with and
// without the special tokens' template, each readable on its own, and the
// whole decodable.
#include <string_view>

#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_input.h"

namespace glassbox::fuzz {

inline void encode_and_decode(const Tokenizer& tokenizer, std::string_view text) {
  for (bool add_special_tokens : {false, true}) {
    const std::vector<int64_t> ids = tokenizer.encode(text, add_special_tokens);
    for (int64_t id : ids) {
      require(id >= 0 && id < tokenizer.vocab_size(), "encoded ids lie inside the vocabulary");
      (void)tokenizer.token_text(id);
    }
    (void)tokenizer.decode(ids, false);
    (void)tokenizer.decode(ids, true);
  }
}

}  // namespace glassbox::fuzz
