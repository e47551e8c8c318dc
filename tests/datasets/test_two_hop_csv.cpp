// Two-hop CSV loader: the paper's columns, Python str.format templates, alias
// lists and CSV quoting, and one-line errors naming the file, row and column.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "datasets/two_hop_csv.h"
#include "test_util.h"

namespace glassbox::datasets {
namespace {

// The message of the Error `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::string kHeader = "e1_label,r1_template,r2_template,e2_label,e3_label,e3_aliases\n";

TEST(TwoHopCsv, SampleFileGivesThePromptsPythonBuilt) {
  const std::string path = test::data("two_hop/sample.csv");
  const std::vector<TwoHopQuery> queries = load_two_hop_csv(path);
  ASSERT_EQ(queries.size(), 5u);
  // source_prompt was written by Python: r2.format(r1.format(e1)) + " is".
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<CsvRecord> records = parse_csv(text, path);
  size_t source_prompt = 0;
  while (records[0].fields[source_prompt] != "source_prompt") ++source_prompt;
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(queries[i].prompt, records[i + 1].fields[source_prompt]);
    EXPECT_EQ(queries[i].row, i + 1);
  }
  EXPECT_EQ(queries[0].prompt, "the spouse of the performer of Imagine is");
  EXPECT_EQ(queries[4].e1_label, "The Hobbit, or There and Back Again");
  EXPECT_EQ(queries[0].e2_label, "John Lennon");
  // One-character aliases ('Y', the euro sign) are dropped, as in the paper.
  EXPECT_EQ(queries[0].answers(), (std::vector<std::string>{"Yoko Ono", "Yoko Ono Lennon", "Ono Yoko"}));
  EXPECT_EQ(queries[1].e3_aliases, (std::vector<std::string>{"EUR", "Euro"}));
  EXPECT_EQ(queries[2].e3_aliases, (std::vector<std::string>{"Patti Scialfa Springsteen", "Patricia 'Patti' Scialfa"}));
  EXPECT_EQ(queries[3].e3_aliases, (std::vector<std::string>{"Ottawa, Ontario", "City of Ottawa"}));
  EXPECT_EQ(queries[4].e3_aliases, (std::vector<std::string>{"UK", "Britain", "the \"United Kingdom\""}));
}

TEST(TwoHopCsv, QuotedFieldsCarryCommasQuotesAndLineBreaks) {
  const std::string text = "\xEF\xBB\xBF" "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n\r\nlast,,\r\n";
  const std::vector<CsvRecord> r = parse_csv(text, "t.csv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"x, y", "say \"hi\"", "two\r\nlines"}));
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"last", "", ""}));
  EXPECT_EQ(r[2].line, 5u);  // after the two-line field and the blank line
  // LF and CRLF files read the same.
  EXPECT_EQ(parse_csv("a,b\nc,d\n", "t.csv")[1].fields, parse_csv("a,b\r\nc,d", "t.csv")[1].fields);
  EXPECT_NE(error_of([] { parse_csv("a,\"open\n", "t.csv"); }).find("t.csv: line 1: a quoted field is never closed"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_csv("a,\"q\"x\n", "t.csv"); }).find("after a closing quote"), std::string::npos);
}

TEST(TwoHopCsv, TemplatesFollowPythonFormat) {
  EXPECT_EQ(format_template("the capital of {}", "France", "w"), "the capital of France");
  EXPECT_EQ(format_template("{0} has {{braces}}", "X", "w"), "X has {braces}");
  EXPECT_NE(error_of([] { format_template("no placeholder", "X", "w"); }).find("exactly one {} placeholder, found 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { format_template("{} and {}", "X", "w"); }).find("found 2"), std::string::npos);
  EXPECT_NE(error_of([] { format_template("{name}", "X", "w"); }).find("{name}"), std::string::npos);
  EXPECT_NE(error_of([] { format_template("a } b {}", "X", "w"); }).find("single '}'"), std::string::npos);
  // The entity is inserted as text: braces in it are not placeholders.
  EXPECT_EQ(format_template("the spouse of {}", format_template("the author of {}", "{weird}", "w"), "w"),
            "the spouse of the author of {weird}");
}

TEST(TwoHopCsv, AliasListsInPythonJsonOrSeparatedForm) {
  EXPECT_EQ(parse_aliases("['a b', \"c'd\", 'e\\'f']", "w"), (std::vector<std::string>{"a b", "c'd", "e'f"}));
  EXPECT_EQ(parse_aliases("[\"caf\\u00e9\", \"\\ud83d\\ude00x\", \"tab\\there\"]", "w"),
            (std::vector<std::string>{"caf\xC3\xA9", "\xF0\x9F\x98\x80x", "tab\there"}));
  EXPECT_EQ(parse_aliases(" [ 'x1' , 'y2' , ] ", "w"), (std::vector<std::string>{"x1", "y2"}));
  EXPECT_EQ(parse_aliases("[]", "w"), std::vector<std::string>{});
  EXPECT_EQ(parse_aliases("", "w"), std::vector<std::string>{});
  EXPECT_EQ(parse_aliases("one; two", "w"), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(parse_aliases("only one", "w"), (std::vector<std::string>{"only one"}));
  EXPECT_NE(error_of([] { parse_aliases("['open", "f.csv: row 2, column e3_aliases"); })
                .find("f.csv: row 2, column e3_aliases: malformed alias list"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_aliases("['a' 'b']", "w"); }).find("expected ',' or ']'"), std::string::npos);
}

TEST(TwoHopCsv, ErrorsNameTheFileRowAndColumn) {
  const std::string file = "q.csv";
  EXPECT_EQ(error_of([&] { parse_two_hop_csv(kHeader + "A,the x of {},the y of {},B,C,[]\nA,no slot,the y of {},B,C,[]\n", file); }),
            "q.csv: row 2 (line 3), column r1_template: 'no slot' needs exactly one {} placeholder, found 0");
  EXPECT_NE(error_of([&] { parse_two_hop_csv(kHeader + "A,the x of {},{} {},B,C,[]\n", file); })
                .find("q.csv: row 1 (line 2), column r2_template"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { parse_two_hop_csv("e1_label,e3_label\nA,B\n", file); }),
            "q.csv: missing column(s) r1_template, r2_template, e2_label, e3_aliases in the header");
  EXPECT_EQ(error_of([&] { parse_two_hop_csv(kHeader + "A,the x of {},the y of {},B\n", file); }),
            "q.csv: row 1 (line 2) has 4 fields, the header 6");
  EXPECT_NE(error_of([&] { parse_two_hop_csv(kHeader + "A,the x of {},the y of {},B,,[]\n", file); })
                .find("column e3_label: empty"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_two_hop_csv(kHeader + "A,the x of {},the y of {},B,C,\"['x\"\n", file); })
                .find("q.csv: row 1 (line 2), column e3_aliases: malformed alias list"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { parse_two_hop_csv(kHeader, file); }), "q.csv: no queries after the header");
  EXPECT_NE(error_of([] { load_two_hop_csv("/nonexistent/x.csv"); }).find("/nonexistent/x.csv: cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace glassbox::datasets
