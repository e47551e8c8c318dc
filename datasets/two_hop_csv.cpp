#include "datasets/two_hop_csv.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"

namespace glassbox::datasets {

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& file) {
  std::vector<CsvRecord> records;
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  size_t line = 1;
  while (i < text.size()) {
    CsvRecord record;
    record.line = line;
    std::string field;
    bool record_done = false;
    while (!record_done) {
      if (i < text.size() && text[i] == '"') {
        const size_t opened = line;
        ++i;
        while (true) {
          if (i >= text.size()) fail(file, "line " + std::to_string(opened) + ": a quoted field is never closed");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text.compare(i, 2, "\r\n") != 0) {
          fail(file, "line " + std::to_string(line) + ": unexpected text after a closing quote");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text.compare(i, 2, "\r\n") != 0) {
          if (text[i] == '"') fail(file, "line " + std::to_string(line) + ": a quote inside an unquoted field");
          field += text[i++];
        }
      }
      record.fields.push_back(std::move(field));
      field.clear();
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      // End of line or of the text.
      if (i < text.size()) {
        i += text[i] == '\r' ? 2 : 1;
        ++line;
      }
      record_done = true;
    }
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) records.push_back(std::move(record));
  }
  return records;
}

std::string format_template(const std::string& tmpl, const std::string& value, const std::string& where) {
  std::string out;
  int placeholders = 0;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;  // "{{" or "}}"
      ++i;
    } else if (c == '{') {
      const size_t close = tmpl.find('}', i);
      if (close == std::string::npos) fail(where, "'" + tmpl + "' has a '{' that is never closed");
      const std::string inner = tmpl.substr(i + 1, close - i - 1);
      if (!inner.empty() && inner != "0") {
        fail(where, "'" + tmpl + "' has the placeholder {" + inner + "}; only {} is supported");
      }
      out += value;
      ++placeholders;
      i = close;
    } else if (c == '}') {
      fail(where, "'" + tmpl + "' has a single '}' (write '}}' for a literal brace)");
    } else {
      out += c;
    }
  }
  if (placeholders != 1) {
    fail(where, "'" + tmpl + "' needs exactly one {} placeholder, found " + std::to_string(placeholders));
  }
  return out;
}

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t code_points(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// A Python or JSON list of string literals, e.g. ['a', "b's", "\u00e9"].
class ListLiteral {
 public:
  ListLiteral(const std::string& text, const std::string& where) : s_(text), where_(where) {}

  std::vector<std::string> parse() {
    std::vector<std::string> items;
    expect('[');
    skip_space();
    while (peek() != ']') {
      items.push_back(string_literal());
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
      } else if (peek() != ']') {
        problem("expected ',' or ']'");
      }
    }
    ++i_;
    skip_space();
    if (i_ != s_.size()) problem("unexpected text after the closing ']'");
    return items;
  }

 private:
  [[noreturn]] void problem(const std::string& what) const {
    fail(where_, "malformed alias list (" + what + " at character " + std::to_string(i_ + 1) + ")");
  }
  char peek() const {
    if (i_ >= s_.size()) problem("the list ends early");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) problem(std::string("expected '") + c + "'");
    ++i_;
  }
  void skip_space() {
    while (i_ < s_.size() && std::string(" \t\r\n").find(s_[i_]) != std::string::npos) ++i_;
  }
  uint32_t hex(size_t digits) {
    if (i_ + digits > s_.size()) problem("a short hexadecimal escape");
    uint32_t v = 0;
    for (size_t k = 0; k < digits; ++k) {
      const char c = s_[i_++];
      const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                : -1;
      if (d < 0) problem("a bad hexadecimal escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') problem("expected a quoted string");
    ++i_;
    std::string out;
    while (peek() != quote) {
      const char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = peek();
      ++i_;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case '\\': case '\'': case '"': case '/': out += e; break;
        case 'x': append_utf8(out, hex(2)); break;
        case 'U': append_utf8(out, hex(8)); break;
        case 'u': {
          uint32_t cp = hex(4);
          // A JSON surrogate pair.
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
            i_ += 2;
            const uint32_t low = hex(4);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:  // Python keeps unknown escapes as written.
          out += '\\';
          out += e;
      }
    }
    ++i_;
    return out;
  }

  const std::string& s_;
  std::string where_;
  size_t i_ = 0;
};

}  // namespace

std::vector<std::string> parse_aliases(const std::string& field, const std::string& where) {
  const std::string text = trim(field);
  std::vector<std::string> raw;
  if (!text.empty() && text[0] == '[') {
    raw = ListLiteral(text, where).parse();
  } else if (!text.empty()) {
    const char separator = text.find('|') != std::string::npos ? '|' : ';';
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, separator)) raw.push_back(trim(item));
  }
  std::vector<std::string> aliases;
  for (auto& a : raw) {
    if (code_points(a) > 1) aliases.push_back(std::move(a));
  }
  return aliases;
}

std::vector<std::string> TwoHopQuery::answers() const {
  std::vector<std::string> out = {e3_label};
  out.insert(out.end(), e3_aliases.begin(), e3_aliases.end());
  return out;
}

std::string CsvRow::where() const { return "row " + std::to_string(row) + " (line " + std::to_string(line) + ")"; }

std::vector<CsvRow> parse_csv_rows(const std::string& text, const std::string& file,
                                   const std::vector<std::string>& required, const std::string& what) {
  const std::vector<CsvRecord> records = parse_csv(text, file);
  if (records.empty()) fail(file, "empty file: expected a header row and " + what);
  std::vector<std::string> names;
  for (const std::string& field : records[0].fields) names.push_back(trim(field));
  std::string missing;
  for (const std::string& name : required) {
    if (std::find(names.begin(), names.end(), name) == names.end()) missing += (missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) fail(file, "missing column(s) " + missing + " in the header");
  if (records.size() == 1) fail(file, "no " + what + " after the header");
  std::vector<CsvRow> rows;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    CsvRow row{r, rec.line, {}};
    if (rec.fields.size() != names.size()) {
      fail(file, row.where() + " has " + std::to_string(rec.fields.size()) + " fields, the header " +
                     std::to_string(names.size()));
    }
    for (size_t c = 0; c < names.size(); ++c) row.fields.emplace(names[c], rec.fields[c]);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the " + what);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<TwoHopQuery> parse_two_hop_csv(const std::string& text, const std::string& file) {
  std::vector<TwoHopQuery> queries;
  for (const CsvRow& row : parse_csv_rows(text, file, {"e1_label", "r1_template", "r2_template", "e2_label", "e3_label", "e3_aliases"}, "queries")) {
    auto where = [&](const char* name) { return file + ": " + row.where() + ", column " + name; };
    auto get = [&](const char* name) { return row.fields.at(name); };
    TwoHopQuery q;
    q.row = row.row;
    q.e1_label = get("e1_label");
    q.r1_template = get("r1_template");
    q.r2_template = get("r2_template");
    q.e2_label = get("e2_label");
    q.e3_label = get("e3_label");
    if (trim(q.e1_label).empty()) fail(where("e1_label"), "empty");
    if (trim(q.e3_label).empty()) fail(where("e3_label"), "empty: the query has no answer");
    q.e3_aliases = parse_aliases(get("e3_aliases"), where("e3_aliases"));
    q.prompt = format_template(q.r2_template, format_template(q.r1_template, q.e1_label, where("r1_template")),
                               where("r2_template")) +
               " is";
    queries.push_back(std::move(q));
  }
  return queries;
}

std::vector<TwoHopQuery> load_two_hop_csv(const std::string& path) {
  return parse_two_hop_csv(read_text_file(path, "two-hop CSV file"), path);
}

}  // namespace glassbox::datasets
