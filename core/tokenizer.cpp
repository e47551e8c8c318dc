#include "core/tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <queue>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"

// The pipeline follows Hugging Face `tokenizers` step for step, because id
// parity depends on its details: added tokens are cut out first (on the raw
// text, then on the normalized text), the rest is normalized, pre-tokenized
// into words, and each word goes through the BPE model.

namespace glassbox {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- UTF-8

// Valid UTF-8 with each maximal invalid subsequence replaced by U+FFFD, as
// Rust's String::from_utf8_lossy does (HF decoders use it).
std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto at = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  size_t i = 0;
  while (i < bytes.size()) {
    unsigned char lead = at(i);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char second_low = 0x80, second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_low = 0xA0;
      if (lead == 0xED) second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_low = 0x90;
      if (lead == 0xF4) second_high = 0x8F;
    }
    size_t valid = length == 0 ? 0 : 1;
    while (valid > 0 && valid < length && i + valid < bytes.size()) {
      unsigned char b = at(i + valid);
      unsigned char low = valid == 1 ? second_low : 0x80, high = valid == 1 ? second_high : 0xBF;
      if (b < low || b > high) break;
      ++valid;
    }
    if (length > 0 && valid == length) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      i += valid == 0 ? 1 : valid;
    }
  }
  return out;
}

size_t utf8_char_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Decodes the character at `i` of valid UTF-8.
char32_t utf8_char_at(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (utf8_char_length(static_cast<unsigned char>(s[i]))) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

// Start of the character that ends just before byte `end` of valid UTF-8.
size_t utf8_previous_char(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Rust regex's \w and \s, which decide single_word, lstrip and rstrip.
bool is_word_char(char32_t c) {
  constexpr uint32_t kWordCategories = U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK;
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_ALPHABETIC) ||
         (U_GET_GC_MASK(static_cast<UChar32>(c)) & kWordCategories) != 0 ||
         u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_JOIN_CONTROL);
}

bool is_white_space(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE); }

// ---------------------------------------------------------------- GPT-2 bytes

// GPT-2's reversible map from bytes to printable characters: printable Latin-1
// bytes map to themselves, the others to U+0100 onwards.
struct ByteAlphabet {
  std::array<std::string, 256> char_of_byte;
  std::unordered_map<char32_t, unsigned char> byte_of_char;

  ByteAlphabet() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t c = printable ? static_cast<char32_t>(b) : next++;
      append_utf8(char_of_byte[b], c);
      byte_of_char[c] = static_cast<unsigned char>(b);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

std::string bytes_to_alphabet(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char b : text) out += byte_alphabet().char_of_byte[b];
  return out;
}

// ---------------------------------------------------------------- regex

// A PCRE2 pattern in UTF/UCP mode, JIT-compiled where the platform allows.
class Regex {
 public:
  Regex(const std::string& pattern, bool literal, const std::string& file) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);  // PCRE2 refuses UCP with LITERAL
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error_code,
                                     &error_offset, nullptr);
    if (!code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error_code, message, sizeof message);
      fail(file, "cannot compile the regex '" + pattern + "' at offset " + std::to_string(error_offset) + ": " +
                     reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // without JIT, matching still works, only slower
    code_.reset(code, pcre2_code_free);
  }

  // Byte ranges of the successive matches in valid UTF-8 `text`. An empty match
  // right where the previous match ended is skipped, as Oniguruma's iterator
  // (used by HF) does.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const {
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
        pcre2_match_data_create_from_pattern(code_.get(), nullptr), pcre2_match_data_free);
    std::vector<std::pair<size_t, size_t>> found;
    size_t search_from = 0;
    std::optional<size_t> last_match_end;
    while (search_from <= text.size()) {
      int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), search_from,
                           PCRE2_NO_UTF_CHECK, match.get(), nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
      size_t start = ovector[0], end = ovector[1];
      if (start == end && last_match_end == end) {
        search_from += search_from < text.size() ? utf8_char_length(static_cast<unsigned char>(text[search_from])) : 1;
        continue;
      }
      found.emplace_back(start, end);
      search_from = end;
      last_match_end = end;
    }
    return found;
  }

 private:
  std::shared_ptr<pcre2_code> code_;
};

// ---------------------------------------------------------------- splitting

// A stretch of the input on its way through the pipeline. Added tokens carry
// their id and are not touched by normalizers, pre-tokenizers or the model.
struct Piece {
  std::string text;
  std::optional<int64_t> added_id;
  bool at_input_start = false;  // begins at byte 0 of the input (Metaspace "first")
};

// HF's SplitDelimiterBehavior.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Span {
  size_t start, end;
  bool is_match;
};

// The whole of `size` bytes as alternating non-matched and matched spans.
std::vector<Span> spans_from_matches(const std::vector<std::pair<size_t, size_t>>& matches, size_t size) {
  std::vector<Span> spans;
  if (size == 0) return {{0, 0, false}};
  size_t previous = 0;
  for (auto [start, end] : matches) {
    if (previous != start) spans.push_back({previous, start, false});
    spans.push_back({start, end, true});
    previous = end;
  }
  if (previous != size) spans.push_back({previous, size, false});
  return spans;
}

// Applies a split behaviour exactly as NormalizedString::split does; returns
// the spans to keep.
std::vector<Span> apply_behavior(std::vector<Span> spans, SplitBehavior behavior) {
  std::vector<Span> kept;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (auto& s : spans) s.is_match = false;
      return spans;
    case SplitBehavior::Removed:
      for (const auto& s : spans)
        if (!s.is_match) kept.push_back(s);
      return kept;
    case SplitBehavior::Contiguous:
      for (const auto& s : spans) {
        if (s.is_match == previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      return kept;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& s : spans) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      return kept;
    case SplitBehavior::MergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().start = it->start;
        } else {
          kept.push_back({it->start, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      return kept;
  }
  return kept;
}

// Replaces every piece that is not an added token by the non-empty pieces
// `split` makes of it.
void split_words(std::vector<Piece>& pieces, const std::function<std::vector<Piece>(const Piece&)>& split) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (auto& piece : pieces) {
    if (piece.added_id) {
      out.push_back(std::move(piece));
      continue;
    }
    for (auto& part : split(piece))
      if (!part.text.empty()) out.push_back(std::move(part));
  }
  pieces = std::move(out);
}

std::vector<Piece> cut(const Piece& piece, const std::vector<Span>& spans) {
  std::vector<Piece> parts;
  parts.reserve(spans.size());
  for (const auto& s : spans)
    parts.push_back({piece.text.substr(s.start, s.end - s.start), std::nullopt, piece.at_input_start && s.start == 0});
  return parts;
}

// ---------------------------------------------------------------- normalizers

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string text) const = 0;
};

class UnicodeNormalizer : public Normalizer {
 public:
  UnicodeNormalizer(const std::string& form, const std::string& file) {
    UErrorCode status = U_ZERO_ERROR;
    if (form == "NFC") normalizer_ = icu::Normalizer2::getNFCInstance(status);
    if (form == "NFD") normalizer_ = icu::Normalizer2::getNFDInstance(status);
    if (form == "NFKC") normalizer_ = icu::Normalizer2::getNFKCInstance(status);
    if (form == "NFKD") normalizer_ = icu::Normalizer2::getNFKDInstance(status);
    if (!normalizer_ || U_FAILURE(status)) fail(file, "cannot load ICU's " + form + " normalizer");
  }
  std::string normalize(std::string text) const override {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString source = icu::UnicodeString::fromUTF8(text);
    if (normalizer_->isNormalized(source, status) && U_SUCCESS(status)) return text;
    status = U_ZERO_ERROR;
    icu::UnicodeString normalized = normalizer_->normalize(source, status);
    if (U_FAILURE(status)) return text;
    std::string out;
    normalized.toUTF8String(out);
    return out;
  }

 private:
  const icu::Normalizer2* normalizer_ = nullptr;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override { return text.empty() ? text : prefix_ + text; }

 private:
  std::string prefix_;
};

// HF patterns: {"String": s} (literal) or {"Regex": r}.
Regex pattern_regex(const json& pattern, const std::string& file) {
  if (pattern.is_object() && pattern.contains("String"))
    return Regex(pattern.at("String").get<std::string>(), true, file);
  if (pattern.is_object() && pattern.contains("Regex"))
    return Regex(pattern.at("Regex").get<std::string>(), false, file);
  fail(file, "pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + pattern.dump());
}

// Every match of a pattern replaced by `content` (HF's Replace normalizer and decoder).
class Replacement {
 public:
  Replacement(const json& config, const std::string& file)
      : regex_(pattern_regex(config.at("pattern"), file)), content_(config.at("content").get<std::string>()) {}
  std::string apply(const std::string& text) const {
    std::string out;
    size_t previous = 0;
    for (auto [start, end] : regex_.find_all(text)) {
      out.append(text, previous, start - previous);
      out += content_;
      previous = end;
    }
    out.append(text, previous, std::string::npos);
    return out;
  }

 private:
  Regex regex_;
  std::string content_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(const json& config, const std::string& file) : replacement_(config, file) {}
  std::string normalize(std::string text) const override { return replacement_.apply(text); }

 private:
  Replacement replacement_;
};

class NormalizerSequence : public Normalizer {
 public:
  explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& step : steps_) text = step->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

std::unique_ptr<Normalizer> make_normalizer(const json& config, const std::string& file) {
  if (config.is_null()) return nullptr;
  const std::string type = config.value("type", "");
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
    return std::make_unique<UnicodeNormalizer>(type, file);
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(config.at("prepend").get<std::string>());
  if (type == "Replace") return std::make_unique<ReplaceNormalizer>(config, file);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const auto& step : config.at("normalizers"))
      if (auto normalizer = make_normalizer(step, file)) steps.push_back(std::move(normalizer));
    return std::make_unique<NormalizerSequence>(std::move(steps));
  }
  fail(file, "unsupported normalizer type '" + type + "'");
}

// ---------------------------------------------------------------- pre-tokenizers

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

const std::string kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, const std::string& file)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_.emplace(kGpt2Pattern, false, file);
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_words(pieces, [&](const Piece& piece) {
      Piece prefixed = piece;
      if (add_prefix_space_ && prefixed.text.rfind(' ', 0) != 0) prefixed.text.insert(0, " ");
      std::vector<Piece> parts =
          regex_
              ? cut(prefixed, apply_behavior(spans_from_matches(regex_->find_all(prefixed.text), prefixed.text.size()),
                                             SplitBehavior::Isolated))
              : std::vector<Piece>{prefixed};
      for (auto& part : parts) part.text = bytes_to_alphabet(part.text);
      return parts;
    });
  }

 private:
  bool add_prefix_space_;
  std::optional<Regex> regex_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Regex regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_words(pieces, [&](const Piece& piece) {
      std::vector<Span> spans = spans_from_matches(regex_.find_all(piece.text), piece.text.size());
      if (invert_)
        for (auto& s : spans) s.is_match = !s.is_match;
      return cut(piece, apply_behavior(std::move(spans), behavior_));
    });
  }

 private:
  Regex regex_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { First, Always, Never };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_words(pieces, [&](const Piece& piece) {
      Piece replaced = piece;
      replaced.text.clear();
      for (char c : piece.text) {
        if (c == ' ') {
          replaced.text += replacement_;
        } else {
          replaced.text.push_back(c);
        }
      }
      bool prepend = scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && piece.at_input_start);
      if (prepend && replaced.text.rfind(replacement_, 0) != 0) replaced.text.insert(0, replacement_);
      if (!split_) return std::vector<Piece>{replaced};
      // Each replacement character is a match of its own, as with HF's char pattern.
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t at = replaced.text.find(replacement_); at != std::string::npos;
           at = replaced.text.find(replacement_, at + replacement_.size()))
        matches.emplace_back(at, at + replacement_.size());
      return cut(replaced,
                 apply_behavior(spans_from_matches(matches, replaced.text.size()), SplitBehavior::MergedWithNext));
    });
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

class PreTokenizerSequence : public PreTokenizer {
 public:
  explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

SplitBehavior split_behavior(const std::string& name, const std::string& file) {
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  fail(file, "unknown split behavior '" + name + "'");
}

// Metaspace's prepend_scheme, or the older add_prefix_space flag.
PrependScheme prepend_scheme(const json& config, const std::string& file) {
  if (config.contains("add_prefix_space") && config.at("add_prefix_space") == false) return PrependScheme::Never;
  const std::string name = config.value("prepend_scheme", "always");
  if (name == "always") return PrependScheme::Always;
  if (name == "first") return PrependScheme::First;
  if (name == "never") return PrependScheme::Never;
  fail(file, "unknown Metaspace prepend_scheme '" + name + "'");
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& config, const std::string& file) {
  if (config.is_null()) return nullptr;
  const std::string type = config.value("type", "");
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(config.value("add_prefix_space", true),
                                                   config.value("use_regex", true), file);
  if (type == "Split")
    return std::make_unique<SplitPreTokenizer>(pattern_regex(config.at("pattern"), file),
                                               split_behavior(config.at("behavior").get<std::string>(), file),
                                               config.value("invert", false));
  if (type == "Metaspace")
    return std::make_unique<MetaspacePreTokenizer>(config.value("replacement", "\xE2\x96\x81"),
                                                   prepend_scheme(config, file), config.value("split", true));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& step : config.at("pretokenizers"))
      if (auto pre_tokenizer = make_pre_tokenizer(step, file)) steps.push_back(std::move(pre_tokenizer));
    return std::make_unique<PreTokenizerSequence>(std::move(steps));
  }
  fail(file, "unsupported pre-tokenizer type '" + type + "'");
}

// ---------------------------------------------------------------- decoders

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode(std::vector<std::string>& tokens) const = 0;
};

class ByteLevelDecoder : public Decoder {
 public:
  // Tokens of the byte alphabet become their bytes; any other token stays as it is.
  void decode(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& token : tokens) {
      std::string token_bytes;
      bool in_alphabet = true;
      for (size_t i = 0; i < token.size() && in_alphabet; i += utf8_char_length(static_cast<unsigned char>(token[i]))) {
        auto found = byte_alphabet().byte_of_char.find(utf8_char_at(token, i));
        in_alphabet = found != byte_alphabet().byte_of_char.end();
        if (in_alphabet) token_bytes.push_back(static_cast<char>(found->second));
      }
      bytes += in_alphabet ? token_bytes : token;
    }
    tokens = {to_valid_utf8(bytes)};
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, PrependScheme scheme)
      : replacement_(std::move(replacement)), scheme_(scheme) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string space = i == 0 && scheme_ != PrependScheme::Never ? "" : " ";
      std::string out;
      for (size_t at = 0;;) {
        size_t found = tokens[i].find(replacement_, at);
        out.append(tokens[i], at, found == std::string::npos ? std::string::npos : found - at);
        if (found == std::string::npos) break;
        out += space;
        at = found + replacement_.size();
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(const json& config, const std::string& file) : replacement_(config, file) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) token = replacement_.apply(token);
  }

 private:
  Replacement replacement_;
};

// Runs of <0xNN> tokens become their bytes when those form valid UTF-8, else
// one U+FFFD per byte.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    const auto flush = [&] {
      if (pending_count == 0) return;
      if (to_valid_utf8(pending) == pending) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& token : tokens) {
      if (auto byte = byte_token_value(token)) {
        pending.push_back(static_cast<char>(*byte));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static std::optional<unsigned char> byte_token_value(const std::string& token) {
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return std::nullopt;
    unsigned value = 0;
    for (char c : token.substr(3, 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      value = value * 16 +
              static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::toupper(c) - 'A' + 10);
    }
    return static_cast<unsigned char>(value);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::string fused;
    for (const auto& token : tokens) fused += token;
    tokens = {fused};
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) {
      std::string_view view = token;
      for (size_t i = 0; i < start_ && view.substr(0, content_.size()) == content_; ++i)
        view.remove_prefix(content_.size());
      for (size_t i = 0;
           i < stop_ && view.size() >= content_.size() && view.substr(view.size() - content_.size()) == content_; ++i)
        view.remove_suffix(content_.size());
      token = std::string(view);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class DecoderSequence : public Decoder {
 public:
  explicit DecoderSequence(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

std::unique_ptr<Decoder> make_decoder(const json& config, const std::string& file) {
  if (config.is_null()) return nullptr;
  const std::string type = config.value("type", "");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace")
    return std::make_unique<MetaspaceDecoder>(config.value("replacement", "\xE2\x96\x81"),
                                              prepend_scheme(config, file));
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(config, file);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(config.at("content").get<std::string>(), config.value("start", size_t{0}),
                                          config.value("stop", size_t{0}));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> steps;
    for (const auto& step : config.at("decoders"))
      if (auto decoder = make_decoder(step, file)) steps.push_back(std::move(decoder));
    return std::make_unique<DecoderSequence>(std::move(steps));
  }
  fail(file, "unsupported decoder type '" + type + "'");
}

// ---------------------------------------------------------------- post-processor

// What add_special_tokens=true wraps around the ids: one TemplateProcessing
// "single" template per step (a ByteLevel step adds nothing).
struct TemplateItem {
  bool is_sequence = false;
  std::vector<int64_t> ids;  // the special token's ids when not the sequence
};
using Template = std::vector<TemplateItem>;

void add_post_processor(const json& config, const std::string& file, std::vector<Template>& templates) {
  if (config.is_null()) return;
  const std::string type = config.value("type", "");
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    for (const auto& step : config.at("processors")) add_post_processor(step, file, templates);
    return;
  }
  if (type != "TemplateProcessing") fail(file, "unsupported post-processor type '" + type + "'");
  Template single;
  for (const auto& item : config.at("single")) {
    if (item.contains("Sequence")) {
      single.push_back({true, {}});
      continue;
    }
    const std::string name = item.at("SpecialToken").at("id").get<std::string>();
    const auto& special = config.at("special_tokens");
    if (!special.contains(name)) fail(file, "post_processor: special token '" + name + "' is not in special_tokens");
    single.push_back({false, special.at(name).at("ids").get<std::vector<int64_t>>()});
  }
  templates.push_back(std::move(single));
}

// ---------------------------------------------------------------- BPE model

struct Merge {
  uint32_t rank;
  int32_t merged_id;
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class BpeModel {
 public:
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options, const std::string& file)
      : vocab_(std::move(vocab)), options_(std::move(options)) {
    token_of_id_.reserve(vocab_.size());
    for (const auto& [token, id] : vocab_) token_of_id_[id] = token;
    merges_.reserve(merges.size());
    std::string merged;  // reused: tens of thousands of merges, one buffer
    for (size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [left, right] = merges[rank];
      const auto merged_right =
          std::string_view(right).substr(std::min(right.size(), options_.continuing_subword_prefix.size()));
      merged.assign(left).append(merged_right);
      // The lookups first; the message naming the merge is built only for an error.
      const auto left_it = vocab_.find(left), right_it = vocab_.find(right), merged_it = vocab_.find(merged);
      if (left_it == vocab_.end() || right_it == vocab_.end() || merged_it == vocab_.end()) {
        const std::string what = "merge " + std::to_string(rank + 1) + " ('" + left + " " + right + "')";
        id_in_vocab(left, what, file), id_in_vocab(right, what, file), id_in_vocab(merged, what, file);
      }
      merges_[pair_key(left_it->second, right_it->second)] = {static_cast<uint32_t>(rank), merged_it->second};
    }
    if (options_.unk_token) unk_id_ = id_in_vocab(*options_.unk_token, "unk_token", file);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      auto found = vocab_.find(name);
      byte_ids_[b] = found == vocab_.end() ? -1 : found->second;
    }
  }

  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }
  const std::string* token_of(int64_t id) const {
    auto found = token_of_id_.find(id);
    return found == token_of_id_.end() ? nullptr : &found->second;
  }

  void tokenize(const std::string& word, std::vector<int64_t>& out) const {
    if (options_.ignore_merges) {
      auto whole = vocab_.find(word);
      if (whole != vocab_.end()) {
        out.push_back(whole->second);
        return;
      }
    }
    constexpr size_t kCachedWordBytes = 256;
    const bool cacheable = word.size() <= kCachedWordBytes;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      auto hit = cache_.find(word);
      if (hit != cache_.end()) {
        out.insert(out.end(), hit->second.begin(), hit->second.end());
        return;
      }
    }
    std::vector<int32_t> ids = merge_word(word);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      constexpr size_t kCacheEntries = 200000;
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cache_.size() >= kCacheEntries) cache_.clear();
      cache_.emplace(word, std::move(ids));
    }
  }

 private:
  // `what` names the entry that needs the token, for the error.
  int32_t id_in_vocab(const std::string& token, const std::string& what, const std::string& file) const {
    auto found = vocab_.find(token);
    if (found == vocab_.end()) fail(file, what + ": token '" + token + "' is not in the vocabulary");
    return found->second;
  }

  // The word's characters as ids (unknown ones as <0xNN> bytes or unk), then
  // the lowest-ranked adjacent pair merged first, leftmost on ties.
  std::vector<int32_t> merge_word(const std::string& word) const {
    struct Symbol {
      int32_t id;
      int prev, next;
      bool alive;
    };
    std::vector<Symbol> symbols;
    const auto add = [&](int32_t id) {
      int index = static_cast<int>(symbols.size());
      symbols.push_back({id, index - 1, index + 1, true});
    };
    std::optional<int32_t> pending_unk;
    for (size_t i = 0; i < word.size();) {
      size_t length = utf8_char_length(static_cast<unsigned char>(word[i]));
      std::string unit = word.substr(i, length);
      if (i > 0) unit.insert(0, options_.continuing_subword_prefix);
      i += length;
      if (i >= word.size()) unit += options_.end_of_word_suffix;
      auto found = vocab_.find(unit);
      if (found != vocab_.end()) {
        if (pending_unk) add(*std::exchange(pending_unk, std::nullopt));
        add(found->second);
        continue;
      }
      if (options_.byte_fallback && std::all_of(unit.begin(), unit.end(), [&](char b) {
            return byte_ids_[static_cast<unsigned char>(b)] >= 0;
          })) {
        for (char b : unit) add(byte_ids_[static_cast<unsigned char>(b)]);
        continue;
      }
      if (unk_id_) {
        if (pending_unk && !options_.fuse_unk) add(*pending_unk);
        pending_unk = *unk_id_;
      }
    }
    if (pending_unk) add(*pending_unk);
    if (symbols.empty()) return {};
    symbols.back().next = -1;

    struct Candidate {
      uint32_t rank;
      int position;
      int32_t merged_id;
      bool operator>(const Candidate& other) const {
        return rank != other.rank ? rank > other.rank : position > other.position;
      }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    const auto consider = [&](int left) {
      int right = symbols[left].next;
      if (right < 0) return;
      auto merge = merges_.find(pair_key(symbols[left].id, symbols[right].id));
      if (merge != merges_.end()) queue.push({merge->second.rank, left, merge->second.merged_id});
    };
    for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i);
    while (!queue.empty()) {
      Candidate top = queue.top();
      queue.pop();
      Symbol& left = symbols[top.position];
      if (!left.alive || left.next < 0) continue;
      auto merge = merges_.find(pair_key(left.id, symbols[left.next].id));
      if (merge == merges_.end() || merge->second.merged_id != top.merged_id) continue;
      Symbol& right = symbols[left.next];
      right.alive = false;
      left.id = top.merged_id;
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = top.position;
      if (left.prev >= 0) consider(left.prev);
      consider(top.position);
    }
    std::vector<int32_t> ids;
    for (const auto& s : symbols)
      if (s.alive) ids.push_back(s.id);
    return ids;
  }

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<int64_t, std::string> token_of_id_;
  std::unordered_map<uint64_t, Merge> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_{};
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

// ---------------------------------------------------------------- added tokens

struct AddedToken {
  std::string content;
  int64_t id = 0;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  std::string match_text;  // content, normalized when `normalized`
};

// Leftmost-longest matching of a set of added tokens (HF uses Aho-Corasick; a
// map by first byte is enough for a few hundred tokens).
class AddedTokenMatcher {
 public:
  void add(const AddedToken* token) {
    by_first_byte_[static_cast<unsigned char>(token->match_text[0])].push_back(token);
  }
  bool empty() const {
    return std::all_of(by_first_byte_.begin(), by_first_byte_.end(), [](const auto& v) { return v.empty(); });
  }

  // Splits `piece` around the added tokens in it, applying single_word,
  // lstrip and rstrip as AddedVocabulary::find_matches does.
  std::vector<Piece> split(const Piece& piece) const {
    const std::string& text = piece.text;
    std::vector<Piece> parts;
    size_t consumed = 0;
    for (size_t at = 0; at < text.size();) {
      const AddedToken* token = longest_at(text, at);
      if (!token) {
        at += utf8_char_length(static_cast<unsigned char>(text[at]));
        continue;
      }
      size_t start = at, stop = at + token->match_text.size();
      at = stop;
      if (token->single_word) {
        bool word_before = start > 0 && is_word_char(utf8_char_at(text, utf8_previous_char(text, start)));
        bool word_after = stop < text.size() && is_word_char(utf8_char_at(text, stop));
        if (word_before || word_after) continue;
      }
      if (token->lstrip) {
        size_t new_start = start;
        while (new_start > 0 && is_white_space(utf8_char_at(text, utf8_previous_char(text, new_start))))
          new_start = utf8_previous_char(text, new_start);
        start = std::max(new_start, consumed);
      }
      if (token->rstrip) {
        while (stop < text.size() && is_white_space(utf8_char_at(text, stop)))
          stop += utf8_char_length(static_cast<unsigned char>(text[stop]));
        at = stop;
      }
      if (consumed < start)
        parts.push_back({text.substr(consumed, start - consumed), std::nullopt, piece.at_input_start && consumed == 0});
      parts.push_back({text.substr(start, stop - start), token->id, piece.at_input_start && start == 0});
      consumed = stop;
    }
    if (consumed < text.size())
      parts.push_back({text.substr(consumed), std::nullopt, piece.at_input_start && consumed == 0});
    return parts;
  }

 private:
  const AddedToken* longest_at(const std::string& text, size_t at) const {
    const AddedToken* best = nullptr;
    for (const AddedToken* token : by_first_byte_[static_cast<unsigned char>(text[at])]) {
      if (text.compare(at, token->match_text.size(), token->match_text) == 0 &&
          (!best || token->match_text.size() > best->match_text.size()))
        best = token;
    }
    return best;
  }

  std::array<std::vector<const AddedToken*>, 256> by_first_byte_;
};

std::optional<std::string> special_token_name(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string())
    return value.at("content").get<std::string>();
  return std::nullopt;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::unordered_map<std::string, int32_t> parse_vocab(const json& vocab, const std::string& file) {
  if (!vocab.is_object()) fail(file, "the vocabulary must be a JSON object of token to id");
  std::unordered_map<std::string, int32_t> out;
  out.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      fail(file, "vocabulary entry '" + token + "' has no valid id");
    out.emplace(token, id.get<int32_t>());
  }
  return out;
}

// One merge "a b" (merges.txt and old tokenizer.json) as its two tokens.
std::pair<std::string, std::string> parse_merge_line(const std::string& line, size_t number, const std::string& file) {
  size_t space = line.find(' ');
  if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
    fail(file, "merge " + std::to_string(number) + " ('" + line + "') is not two tokens separated by one space");
  return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace

// ---------------------------------------------------------------- Tokenizer

struct Tokenizer::Impl {
  std::unique_ptr<BpeModel> model;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Decoder> decoder;
  std::vector<Template> templates;
  std::vector<AddedToken> added_tokens;
  std::unordered_map<std::string, int64_t> added_id_of_content;
  std::unordered_map<int64_t, const AddedToken*> added_of_id;
  AddedTokenMatcher raw_matcher;         // tokens with normalized=false, matched before normalizing
  AddedTokenMatcher normalized_matcher;  // tokens with normalized=true, matched after
  std::optional<int64_t> bos, eos;

  std::optional<int64_t> id_of(std::string_view token) const {
    auto added = added_id_of_content.find(std::string(token));
    if (added != added_id_of_content.end()) return added->second;
    auto found = model->vocab().find(std::string(token));
    if (found != model->vocab().end()) return found->second;
    return std::nullopt;
  }

  // Registers added tokens as AddedVocabulary::add_tokens does: a token that is
  // already in the vocabulary keeps that id, a new one gets the next free id.
  void add_tokens(const json& list, const std::string& file) {
    if (!list.is_array()) fail(file, "added_tokens must be an array");
    int64_t next_id = static_cast<int64_t>(model->vocab().size());
    added_tokens.reserve(list.size());
    for (const auto& entry : list) {
      AddedToken token;
      token.content = entry.at("content").get<std::string>();
      if (token.content.empty()) continue;
      token.special = entry.value("special", false);
      token.single_word = entry.value("single_word", false);
      token.lstrip = entry.value("lstrip", false);
      token.rstrip = entry.value("rstrip", false);
      token.normalized = entry.value("normalized", !token.special);
      if (auto existing = id_of(token.content)) {
        token.id = *existing;
      } else {
        token.id = next_id++;
      }
      token.match_text = token.normalized && normalizer ? normalizer->normalize(token.content) : token.content;
      added_id_of_content[token.content] = token.id;
      added_tokens.push_back(std::move(token));
    }
    for (const auto& token : added_tokens) {
      added_of_id[token.id] = &token;
      if (token.match_text.empty()) continue;
      (token.normalized ? normalized_matcher : raw_matcher).add(&token);
    }
  }

  // The post-processor names its special tokens by id; an id no token has
  // would reach the model's embedding as an index past its rows.
  void check_template_ids(const std::string& file) const {
    for (const Template& steps : templates)
      for (const TemplateItem& item : steps)
        for (int64_t id : item.ids)
          if (!added_of_id.count(id) && !model->token_of(id))
            fail(file, "post_processor: special token id " + std::to_string(id) + " is not a token of this tokenizer");
  }

  // BOS/EOS from tokenizer_config.json beside the file when it names them,
  // else the template's leading special token, else the usual token names.
  void find_bos_eos(const std::string& tokenizer_file) {
    const auto config_path = std::filesystem::path(tokenizer_file).parent_path() / "tokenizer_config.json";
    if (std::filesystem::exists(config_path)) {
      const json config = read_json_file(config_path.string());
      if (config.contains("bos_token") || config.contains("eos_token")) {
        if (auto name = special_token_name(config.value("bos_token", json()))) bos = id_of(*name);
        if (auto name = special_token_name(config.value("eos_token", json()))) eos = id_of(*name);
        return;
      }
    }
    if (!templates.empty() && !templates[0].empty() && !templates[0].front().is_sequence &&
        templates[0].front().ids.size() == 1)
      bos = templates[0].front().ids[0];
    const auto first_known = [&](std::initializer_list<const char*> names) -> std::optional<int64_t> {
      for (const char* name : names)
        if (auto id = id_of(name)) return id;
      return std::nullopt;
    };
    if (!bos) bos = first_known({"<|begin_of_text|>", "<s>", "<|endoftext|>"});
    eos = first_known({"<|end_of_text|>", "</s>", "<|endoftext|>"});
  }

  std::vector<int64_t> encode(std::string_view input, bool add_special_tokens) const {
    std::vector<Piece> pieces{{to_valid_utf8(input), std::nullopt, true}};
    split_words(pieces, [&](const Piece& piece) { return raw_matcher.split(piece); });
    split_words(pieces, [&](const Piece& piece) {
      Piece normalized = piece;
      if (normalizer) normalized.text = normalizer->normalize(piece.text);
      return normalized_matcher.split(normalized);
    });
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
    std::vector<int64_t> ids;
    for (const auto& piece : pieces) {
      if (piece.added_id) {
        ids.push_back(*piece.added_id);
      } else {
        model->tokenize(piece.text, ids);
      }
    }
    if (add_special_tokens) {
      for (const auto& steps : templates) {
        std::vector<int64_t> wrapped;
        for (const auto& item : steps) {
          const auto& part = item.is_sequence ? ids : item.ids;
          wrapped.insert(wrapped.end(), part.begin(), part.end());
        }
        ids = std::move(wrapped);
      }
    }
    return ids;
  }

  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int64_t id : ids) {
      auto added = added_of_id.find(id);
      if (added != added_of_id.end()) {
        if (!(skip_special_tokens && added->second->special)) tokens.push_back(added->second->match_text);
      } else if (const std::string* token = model->token_of(id)) {
        // A vocabulary entry spelled like a special added token counts as special.
        auto same = added_id_of_content.find(*token);
        bool special = same != added_id_of_content.end() && added_of_id.at(same->second)->special;
        if (!(skip_special_tokens && special)) tokens.push_back(*token);
      }
    }
    if (!decoder) {
      std::string joined;
      for (size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
      return joined;
    }
    decoder->decode(tokens);
    std::string out;
    for (const auto& token : tokens) out += token;
    return out;
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path folder(dir);
  if (fs::exists(folder / "tokenizer.json")) return from_tokenizer_json((folder / "tokenizer.json").string());
  if (fs::exists(folder / "vocab.json") && fs::exists(folder / "merges.txt"))
    return from_vocab_merges((folder / "vocab.json").string(), (folder / "merges.txt").string());
  fail(dir, "no tokenizer: expected tokenizer.json, or vocab.json and merges.txt");
}

namespace {

// The parts of a tokenizer.json (already parsed) as an Impl; BOS/EOS are left
// to the caller. `path` names the source in errors.
std::unique_ptr<Tokenizer::Impl> impl_from_json(const json& config, const std::string& path) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  try {
    if (!config.is_object()) fail(path, "expected a JSON object");
    if (!config.contains("model") || !config.at("model").is_object()) fail(path, "missing the 'model' object");
    const json& model = config.at("model");
    const std::string model_type = model.value("type", "BPE");
    if (model_type != "BPE") fail(path, "unsupported model type '" + model_type + "' (only BPE is supported)");
    if (!model.contains("vocab") || !model.contains("merges")) fail(path, "BPE model without vocab or merges");
    if (!model.value("dropout", json()).is_null() && model.at("dropout").get<double>() != 0.0)
      fail(path, "BPE dropout is not supported");
    BpeOptions options;
    if (model.contains("unk_token") && model.at("unk_token").is_string())
      options.unk_token = model.at("unk_token").get<std::string>();
    const auto flag = [&](const char* key) { return model.contains(key) && model.at(key) == true; };
    const auto text = [&](const char* key) {
      return model.contains(key) && model.at(key).is_string() ? model.at(key).get<std::string>() : std::string();
    };
    options.fuse_unk = flag("fuse_unk");
    options.byte_fallback = flag("byte_fallback");
    options.ignore_merges = flag("ignore_merges");
    options.continuing_subword_prefix = text("continuing_subword_prefix");
    options.end_of_word_suffix = text("end_of_word_suffix");

    std::vector<std::pair<std::string, std::string>> merges;
    const json& merge_list = model.at("merges");
    if (!merge_list.is_array()) fail(path, "model.merges must be an array");
    merges.reserve(merge_list.size());
    for (size_t i = 0; i < merge_list.size(); ++i) {
      const json& merge = merge_list[i];
      if (merge.is_string()) {
        merges.push_back(parse_merge_line(merge.get<std::string>(), i + 1, path));
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
        merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      } else {
        fail(path, "merge " + std::to_string(i + 1) + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
    }
    impl->model = std::make_unique<BpeModel>(parse_vocab(model.at("vocab"), path), merges, options, path);
    impl->normalizer = make_normalizer(config.value("normalizer", json()), path);
    impl->pre_tokenizer = make_pre_tokenizer(config.value("pre_tokenizer", json()), path);
    impl->decoder = make_decoder(config.value("decoder", json()), path);
    add_post_processor(config.value("post_processor", json()), path, impl->templates);
    impl->add_tokens(config.value("added_tokens", json::array()), path);
    impl->check_template_ids(path);
  } catch (const json::exception& e) {
    fail(path, std::string("malformed tokenizer (") + e.what() + ")");
  }
  return impl;
}

// ---------------------------------------------------------------- GGUF metadata
//
// llama.cpp stores what tokenizer.json would hold as tokenizer.ggml.* keys. We
// write the tokenizer.json they describe, as Hugging Face builds it from a
// GGUF file, so one implementation serves both.

// Pre-tokenizer splits by tokenizer.ggml.pre (llama.cpp's names).
const char* const kLlama3Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

json split_isolated(const std::string& regex) {
  return {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", use_regex}};
}

json gguf_pre_tokenizer(const GgufFile& file, const std::string& pre) {
  if (pre == "default" || pre == "gpt-2" || pre == "gpt2") return byte_level(true);
  // SmolLM: digits one by one, then GPT-2's split.
  if (pre == "smollm") return {{"type", "Sequence"}, {"pretokenizers", {split_isolated(R"(\p{N})"), byte_level(true)}}};
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "smaug-bpe")
    return {{"type", "Sequence"}, {"pretokenizers", {split_isolated(kLlama3Split), byte_level(false)}}};
  if (pre == "qwen2" || pre == "deepseek-r1-qwen")
    return {{"type", "Sequence"}, {"pretokenizers", {split_isolated(kQwen2Split), byte_level(false)}}};
  fail(file.path(), "tokenizer.ggml.pre '" + pre +
                        "' is not supported (default, gpt-2, smollm, llama-bpe, llama3, qwen2, deepseek-r1-qwen)");
}

// Merges a SentencePiece vocabulary implies, as Hugging Face derives them: every
// split of a token into two tokens; sorted by the token's score, then the
// parts' lengths, all descending and stable; within a token by the parts' ids.
// (Tokens are unique here: from_gguf checks.)
json sentencepiece_merges(const std::vector<std::string>& tokens, const std::vector<double>& scores) {
  std::unordered_map<std::string, int64_t> id_of;
  for (size_t i = 0; i < tokens.size(); ++i) id_of[tokens[i]] = static_cast<int64_t>(i);
  struct Candidate {
    double score;
    size_t left_length, right_length;
    std::string left, right;
  };
  const auto length = [](const std::string& s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); i += utf8_char_length(static_cast<unsigned char>(s[i]))) ++n;
    return n;
  };
  std::vector<Candidate> merges;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (token.empty()) continue;
    const double score = scores[i];
    std::vector<Candidate> local;
    for (size_t cut = utf8_char_length(static_cast<unsigned char>(token[0])); cut < token.size();
         cut += utf8_char_length(static_cast<unsigned char>(token[cut]))) {
      std::string left = token.substr(0, cut), right = token.substr(cut);
      if (id_of.count(left) && id_of.count(right)) local.push_back({score, 0, 0, std::move(left), std::move(right)});
    }
    std::sort(local.begin(), local.end(), [&](const Candidate& a, const Candidate& b) {
      return std::make_pair(id_of[a.left], id_of[a.right]) < std::make_pair(id_of[b.left], id_of[b.right]);
    });
    for (Candidate& c : local) {
      c.left_length = length(c.left);
      c.right_length = length(c.right);
      merges.push_back(std::move(c));
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.score, a.left_length, a.right_length) > std::tie(b.score, b.left_length, b.right_length);
  });
  json out = json::array();
  for (const Candidate& c : merges) out.push_back(json::array({c.left, c.right}));
  return out;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_tokenizer_json(const std::string& path) {
  auto impl = impl_from_json(read_json_file(path), path);
  impl->find_bos_eos(path);
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  if (!file.find("tokenizer.ggml.model")) return nullptr;
  const std::string& path = file.path();
  const std::string model = file.string("tokenizer.ggml.model");
  const std::vector<std::string> tokens = file.strings("tokenizer.ggml.tokens");
  if (tokens.empty()) fail(path, "tokenizer.ggml.tokens is missing or empty");
  const std::vector<double> types = file.numbers("tokenizer.ggml.token_type");
  if (!types.empty() && types.size() != tokens.size())
    fail(path, "tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries for " +
                   std::to_string(tokens.size()) + " tokens");
  const auto optional_id = [&](const std::string& key) -> std::optional<int64_t> {
    if (!file.find(key)) return std::nullopt;
    const int64_t id = file.integer(key);
    if (id < 0 || id >= static_cast<int64_t>(tokens.size()))
      fail(path, key + " " + std::to_string(id) + " is not a token id (0 to " + std::to_string(tokens.size() - 1) + ")");
    return id;
  };
  const std::optional<int64_t> bos = optional_id("tokenizer.ggml.bos_token_id");
  const std::optional<int64_t> eos = optional_id("tokenizer.ggml.eos_token_id");
  const std::optional<int64_t> unk = optional_id("tokenizer.ggml.unknown_token_id");

  json config;
  json vocab = json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  if (vocab.size() != tokens.size()) fail(path, "tokenizer.ggml.tokens lists a token twice");
  // Token types (llama.cpp): 2 unknown, 3 control, 4 user-defined.
  json added = json::array();
  for (size_t i = 0; i < types.size(); ++i) {
    const int type = static_cast<int>(types[i]);
    if (type == 2 || type == 3 || type == 4)
      added.push_back({{"id", i}, {"content", tokens[i]}, {"special", type != 4}, {"normalized", false},
                       {"single_word", false}, {"lstrip", false}, {"rstrip", false}});
  }
  config["added_tokens"] = added;
  bool add_bos;
  if (model == "gpt2") {
    config["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", file.strings("tokenizer.ggml.merges")}};
    const std::string pre = file.string("tokenizer.ggml.pre", "default");
    config["model"]["ignore_merges"] = pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3";
    config["pre_tokenizer"] = gguf_pre_tokenizer(file, pre);
    config["decoder"] = byte_level(true);
    add_bos = file.flag("tokenizer.ggml.add_bos_token", false);
  } else if (model == "llama") {
    const std::vector<double> scores = file.numbers("tokenizer.ggml.scores");
    if (scores.size() != tokens.size())
      fail(path, "tokenizer.ggml.scores has " + std::to_string(scores.size()) + " entries for " +
                     std::to_string(tokens.size()) + " tokens");
    config["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", sentencepiece_merges(tokens, scores)},
                       {"byte_fallback", true}, {"fuse_unk", true}};
    if (unk) config["model"]["unk_token"] = tokens[static_cast<size_t>(*unk)];
    const bool prefix_space = file.flag("tokenizer.ggml.add_space_prefix", true);
    config["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"},
                               {"prepend_scheme", prefix_space ? "first" : "never"}, {"split", false}};
    json decoders = json::array({{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                                 {{"type", "ByteFallback"}}, {{"type", "Fuse"}}});
    if (prefix_space) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    config["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
    add_bos = file.flag("tokenizer.ggml.add_bos_token", true);  // llama.cpp's default for SentencePiece
  } else {
    fail(path, "tokenizer.ggml.model '" + model + "' is not supported (gpt2, llama)");
  }
  const bool add_eos = file.flag("tokenizer.ggml.add_eos_token", false);
  json single = json::array(), special = json::object();
  const auto add_special = [&](const std::optional<int64_t>& id, const char* what) {
    if (!id) fail(path, std::string("tokenizer.ggml.add_") + what + "_token is set but there is no " + what + " token id");
    const std::string& name = tokens[static_cast<size_t>(*id)];
    single.push_back({{"SpecialToken", {{"id", name}, {"type_id", 0}}}});
    special[name] = {{"id", name}, {"ids", {*id}}, {"tokens", {name}}};
  };
  if (add_bos) add_special(bos, "bos");
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (add_eos) add_special(eos, "eos");
  config["post_processor"] = {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", special}};

  auto impl = impl_from_json(config, path);
  impl->bos = bos;
  impl->eos = eos;
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::unique_ptr<Tokenizer> Tokenizer::from_vocab_merges(const std::string& vocab_json, const std::string& merges_txt) {
  auto vocab = parse_vocab(read_json_file(vocab_json), vocab_json);
  std::vector<std::pair<std::string, std::string>> merges;
  std::istringstream lines(read_text_file(merges_txt));
  size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#version", 0) == 0) continue;
    merges.push_back(parse_merge_line(line, ++number, merges_txt));
  }
  // GPT-2's setup: byte-level with the GPT-2 regex, no added tokens.
  auto impl = std::make_unique<Impl>();
  impl->model = std::make_unique<BpeModel>(std::move(vocab), merges, BpeOptions{}, merges_txt);
  impl->pre_tokenizer = std::make_unique<ByteLevelPreTokenizer>(false, true, merges_txt);
  impl->decoder = std::make_unique<ByteLevelDecoder>();
  impl->find_bos_eos(vocab_json);
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::vector<int64_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return impl_->encode(text, add_special_tokens);
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  return impl_->decode(ids, skip_special_tokens);
}

std::string Tokenizer::token_text(int64_t id) const { return impl_->decode({id}, false); }

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const { return impl_->id_of(token); }

// One past the largest id: a file may leave gaps in its ids (found by fuzz_tokenizer_json),
// and every id the tokenizer can produce must lie below the size.
int64_t Tokenizer::vocab_size() const {
  int64_t size = 0;
  for (const auto& [text, id] : impl_->model->vocab()) size = std::max<int64_t>(size, int64_t{id} + 1);
  for (const auto& token : impl_->added_tokens) size = std::max(size, token.id + 1);
  return size;
}

std::optional<int64_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int64_t> Tokenizer::eos_id() const { return impl_->eos; }

}  // namespace glassbox
