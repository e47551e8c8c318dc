#pragma once
// Two-hop queries in the CSV layout of Biran et al., "Hopping Too Late"
// (docs/file-formats.md, "Two-hop CSV"): columns e1_label, r1_template, r2_template, e2_label,
// e3_label, e3_aliases, ... (others, e.g. the pandas index, ids, types and
// popularity, are ignored). The prompt is
//   r2_template.format(r1_template.format(e1_label)) + " is"
// with Python str.format semantics for templates holding exactly one "{}"
// ("{{" and "}}" are literal braces). e3_aliases is a Python or JSON list
// literal as pandas writes it (['Yoko Ono Lennon', "O'Neil"]) or, failing a
// leading '[', a '|'- or ';'-separated list. As in the paper's get_answers,
// aliases of a single character are dropped.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace glassbox::datasets {

struct TwoHopQuery {
  size_t row = 0;  // data row, 1 = the first row after the header
  std::string e1_label, r1_template, r2_template, e2_label, e3_label;
  std::vector<std::string> e3_aliases;
  std::string prompt;
  // Accepted answers: e3_label, then its aliases.
  std::vector<std::string> answers() const;
};

// Reads and validates a whole file; every problem is an Error naming the file
// (and the row and column where there is one).
std::vector<TwoHopQuery> load_two_hop_csv(const std::string& path);
// The same on text already read; `file` names it in errors.
std::vector<TwoHopQuery> parse_two_hop_csv(const std::string& text, const std::string& file);

// RFC 4180 records: fields separated by ',', optionally quoted with '"'
// (inside: "" is a quote; commas and line breaks are literal); LF or CRLF line
// ends; a UTF-8 byte order mark is skipped; blank lines are skipped.
struct CsvRecord {
  size_t line = 0;  // line where the record starts (1-based)
  std::vector<std::string> fields;
};
std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& file);

// The records after a header row, each field by its column name (names
// trimmed). Error naming the file when it is empty, a `required` column is
// missing, no row follows the header, or a row's field count differs from it.
struct CsvRow {
  size_t row = 0;   // 1 = the first row after the header
  size_t line = 0;  // line where the record starts
  std::map<std::string, std::string> fields;
  std::string where() const;  // "row 3 (line 4)"
};
std::vector<CsvRow> parse_csv_rows(const std::string& text, const std::string& file,
                                   const std::vector<std::string>& required, const std::string& what);
// The whole file as text; Error "<path>: cannot open the <what>".
std::string read_text_file(const std::string& path, const std::string& what);

// Python's template.format(value) for a template with one "{}" (or "{0}")
// placeholder; Error "<where>: ..." otherwise.
std::string format_template(const std::string& tmpl, const std::string& value, const std::string& where);

// The alias list of one field (see above); Error "<where>: ..." if a list
// literal is malformed.
std::vector<std::string> parse_aliases(const std::string& field, const std::string& where);

}  // namespace glassbox::datasets
