#include "datasets/word_vocab.h"

#include <cstdio>

#include "core/error.h"

namespace glassbox::datasets {

namespace {

const std::string kSpace = "\xe2\x96\x81";  // "▁", SentencePiece's word boundary

// The UTF-8 characters of a string.
std::vector<std::string> characters(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

nlohmann::json special(int64_t id, const std::string& content) {
  return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false}, {"special", true}};
}

}  // namespace

WordVocab::WordVocab() {
  for (const char* s : {"<unk>", "<s>", "</s>"}) piece(s);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    piece(name);
  }
}

int64_t WordVocab::piece(const std::string& text) {
  auto it = ids_.find(text);
  if (it != ids_.end()) return it->second;
  int64_t id = size();
  pieces_.push_back(text);
  ids_[text] = id;
  return id;
}

int64_t WordVocab::add(const std::string& word) {
  if (word.empty() || word.find(' ') != std::string::npos) fail("vocabulary", "bad word '" + word + "'");
  std::string whole = kSpace + word;
  if (auto it = ids_.find(whole); it != ids_.end()) return it->second;
  // A chain of merges "▁" + c1 -> "▁c1", "▁c1" + c2 -> ...: every merge's left
  // side starts with "▁", so merges never cross words and never split one.
  std::string prefix = kSpace;
  piece(prefix);
  for (const std::string& c : characters(word)) {
    piece(c);
    std::string next = prefix + c;
    if (!ids_.count(next)) {
      piece(next);
      merges_.emplace_back(prefix, c);
    }
    prefix = next;
  }
  words_.push_back(word);
  return ids_.at(whole);
}

int64_t WordVocab::id(const std::string& word) const {
  auto it = ids_.find(kSpace + word);
  if (it == ids_.end()) fail("vocabulary", "no word '" + word + "'");
  return it->second;
}

nlohmann::json WordVocab::tokenizer_json() const {
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < pieces_.size(); ++i) vocab[pieces_[i]] = i;
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [left, right] : merges_) merges.push_back({left, right});
  nlohmann::json bos_template = {{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}};
  nlohmann::json sequence_a = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  nlohmann::json sequence_b = {{"Sequence", {{"id", "B"}, {"type_id", 1}}}};
  nlohmann::json bos_b = {{"SpecialToken", {{"id", "<s>"}, {"type_id", 1}}}};
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")}},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", kSpace}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {bos_template, sequence_a}},
        {"pair", {bos_template, sequence_a, bos_b, sequence_b}},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}}};
}

}  // namespace glassbox::datasets
