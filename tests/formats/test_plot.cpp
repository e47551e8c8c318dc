#include "core/plot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>

#include "core/error.h"
#include "core/h5.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::TempDir;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// The plots of tests/reference/check_h5_files.py: one of each shape of export.
std::vector<Plot> reference_plots() {
  Plot attention;
  attention.name = "attention_L0H1";
  attention.kind = "heatmap";
  attention.title = "Attention pattern L0H1";
  attention.x_label = "key token";
  attention.y_label = "query token";
  attention.value_label = "probability";
  attention.shape = {3, 3};
  attention.data = {1.0f, kNaN, kNaN, 0.25f, 0.75f, kNaN, 0.5f, 0.125f, 0.375f};  // NaN: masked positions
  attention.x.labels = {"<|endoftext|>", " café", "日本"};  // raw token strings
  attention.x.positions = {0, 1, 2};
  attention.y = attention.x;

  Plot lens;
  lens.name = "logit_lens";
  lens.kind = "line";
  lens.title = "Logit lens";
  lens.x_label = "layer";
  lens.y_label = "logit";
  lens.shape = {2, 4};
  lens.data = {0.5f, 1.5f, 2.5f, 3.5f, -1.0f, -2.0f, -3.0f, -4.0f};
  lens.x.values = {0, 1, 2, 3};
  lens.series = {"Ġthe", "Ġcat"};

  Plot histogram;
  histogram.name = "norms";
  histogram.kind = "histogram";
  histogram.title = "Residual norms";
  histogram.x_label = "norm";
  histogram.value_label = "count";
  histogram.shape = {3};
  histogram.data = {4, 0, 7};
  histogram.x.values = {0.0, 0.5, 1.0};

  Plot table;
  table.name = "head_scores";
  table.kind = "table";
  table.title = "Induction scores";
  table.shape = {2, 2};
  table.data = {0.1f, 0.2f, 0.3f, 0.4f};
  table.x.labels = {"H0", "H1"};
  table.y.labels = {"L0", "L1"};

  return {attention, lens, histogram, table};
}

const PlotMeta kMeta = {"attention_patterns", R"({"layer":0,"head":1})", "gpt2", "<|endoftext|> café日本",
                        {50256, 464, 3290}};

void write_reference_file(const std::string& path) {
  h5::Writer file(path);
  file.attr("/", "glassbox_format", std::string("plot-export"));
  file.attr("/", "format_version", int64_t{1});
  file.attr("/", "temperature", 0.5);
  const std::vector<int64_t> tokens = {50256, 464, 3290};
  file.dataset("/tokens", tokens.data(), {3});
  file.dataset("/token_strings", std::vector<std::string>{"<|endoftext|>", " café", "日本"});
  const double scalar = 2.5;
  file.dataset("/scalar", &scalar, {});
  write_plots(file, reference_plots(), kMeta);
  file.commit();
}

void expect_same_data(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i]))
      EXPECT_TRUE(std::isnan(actual[i])) << "index " << i;
    else
      EXPECT_EQ(actual[i], expected[i]) << "index " << i;
  }
}

void expect_same_plot(const Plot& actual, const Plot& expected) {
  SCOPED_TRACE(expected.name);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.kind, expected.kind);
  EXPECT_EQ(actual.title, expected.title);
  EXPECT_EQ(actual.x_label, expected.x_label);
  EXPECT_EQ(actual.y_label, expected.y_label);
  EXPECT_EQ(actual.value_label, expected.value_label);
  EXPECT_EQ(actual.shape, expected.shape);
  expect_same_data(actual.data, expected.data);
  EXPECT_EQ(actual.x.values, expected.x.values);
  EXPECT_EQ(actual.x.labels, expected.x.labels);
  EXPECT_EQ(actual.x.positions, expected.x.positions);
  EXPECT_EQ(actual.y.values, expected.y.values);
  EXPECT_EQ(actual.y.labels, expected.y.labels);
  EXPECT_EQ(actual.y.positions, expected.y.positions);
  EXPECT_EQ(actual.series, expected.series);
}

std::string write_error(const std::string& path, const Plot& plot) {
  try {
    h5::Writer file(path);
    write_plots(file, {plot}, kMeta);
    file.commit();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Plot, RoundTripsEveryKindInNameOrder) {
  TempDir dir;
  std::string path = dir.file("plots.h5");
  write_reference_file(path);
  h5::Reader file(path);
  std::vector<Plot> plots = read_plots(file);
  std::vector<Plot> expected = reference_plots();
  std::sort(expected.begin(), expected.end(), [](const Plot& a, const Plot& b) { return a.name < b.name; });
  ASSERT_EQ(plots.size(), expected.size());
  for (size_t i = 0; i < plots.size(); ++i) expect_same_plot(plots[i], expected[i]);
  EXPECT_TRUE(std::isnan(plots.front().at(0, 1)));  // attention_L0H1 sorts first
}

TEST(Plot, StoresTheDesignedLayoutAndAttributes) {
  TempDir dir;
  std::string path = dir.file("plots.h5");
  write_reference_file(path);
  h5::Reader file(path);
  const std::string group = "/plots/logit_lens";
  EXPECT_EQ(file.kind(group + "/data"), h5::Kind::Float);
  EXPECT_EQ(file.shape(group + "/data"), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(file.read_double(group + "/x"), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_FALSE(file.exists(group + "/y"));  // empty axes are not written
  EXPECT_EQ(file.read_strings(group + "/series"), (std::vector<std::string>{"Ġthe", "Ġcat"}));
  EXPECT_FALSE(file.exists(group + "/x_positions"));  // a numeric axis has no token positions
  EXPECT_EQ(file.kind("/plots/attention_L0H1/x"), h5::Kind::String);
  EXPECT_EQ(file.read_strings("/plots/attention_L0H1/x"), (std::vector<std::string>{"<|endoftext|>", " café", "日本"}));
  EXPECT_EQ(file.kind("/plots/attention_L0H1/x_positions"), h5::Kind::Integer);
  EXPECT_EQ(file.read_int64("/plots/attention_L0H1/x_positions"), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(file.read_int64("/plots/attention_L0H1/y_positions"), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(file.read_int64(group + "/tokens"), (std::vector<int64_t>{50256, 464, 3290}));  // in every plot
  EXPECT_EQ(file.attr_string(group, "kind"), "line");
  EXPECT_EQ(file.attr_string(group, "title"), "Logit lens");
  EXPECT_EQ(file.attr_string(group, "x_label"), "layer");
  EXPECT_EQ(file.attr_string(group, "y_label"), "logit");
  EXPECT_EQ(file.attr_string(group, "value_label"), "");
  EXPECT_EQ(file.attr_string(group, "probe"), "attention_patterns");
  EXPECT_EQ(file.attr_string(group, "params_json"), R"({"layer":0,"head":1})");
  EXPECT_EQ(file.attr_string(group, "model"), "gpt2");
  EXPECT_EQ(file.attr_string(group, "prompt"), "<|endoftext|> café日本");
  EXPECT_EQ(file.attr_string(group, "glassbox_version"), "0.1.0");
  EXPECT_TRUE(std::regex_match(file.attr_string(group, "created_utc"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

TEST(Plot, ReadsMetaOfFirstPlot) {
  TempDir dir;
  std::string path = dir.file("plots.h5");
  write_reference_file(path);
  h5::Reader file(path);
  PlotMeta meta = read_plot_meta(file);
  EXPECT_EQ(meta.probe, kMeta.probe);
  EXPECT_EQ(meta.params_json, kMeta.params_json);
  EXPECT_EQ(meta.model, kMeta.model);
  EXPECT_EQ(meta.prompt, kMeta.prompt);
  EXPECT_EQ(meta.tokens, kMeta.tokens);
  PlotMeta none = read_plot_meta(file, "/analyses");
  EXPECT_TRUE(none.probe.empty() && none.params_json.empty() && none.model.empty());
  EXPECT_TRUE(none.prompt.empty() && none.tokens.empty());
  EXPECT_TRUE(read_plots(file, "/analyses").empty());
}

TEST(Plot, AnalysisWithoutPromptWritesEmptyPromptAndTokens) {
  TempDir dir;
  std::string path = dir.file("plots.h5");
  {
    h5::Writer file(path);
    write_plots(file, {reference_plots()[2]}, PlotMeta{"prune-curve", "{}", "grok"});
    file.commit();
  }
  h5::Reader file(path);
  EXPECT_EQ(file.attr_string("/plots/norms", "prompt"), "");
  EXPECT_EQ(file.shape("/plots/norms/tokens"), (std::vector<int64_t>{0}));
  const PlotMeta meta = read_plot_meta(file);
  EXPECT_TRUE(meta.prompt.empty() && meta.tokens.empty());
}

// Files of earlier versions, and of other tools, have no positions, prompt or tokens.
TEST(Plot, ReadsFilesWithoutPositionsPromptOrTokens) {
  TempDir dir;
  std::string path = dir.file("older.h5");
  {
    h5::Writer file(path);
    const float data[] = {1, 2};
    file.dataset("/plots/probs/data", data, {2});
    file.dataset("/plots/probs/x", std::vector<std::string>{"0:␣the", "1:␣cat"});
    file.attr("/plots/probs", "kind", std::string("bar"));
    file.attr("/plots/probs", "probe", std::string("next-token"));
    file.commit();
  }
  h5::Reader file(path);
  const std::vector<Plot> plots = read_plots(file);
  ASSERT_EQ(plots.size(), 1u);
  EXPECT_EQ(plots[0].x.labels, (std::vector<std::string>{"0:␣the", "1:␣cat"}));
  EXPECT_TRUE(plots[0].x.positions.empty());
  const PlotMeta meta = read_plot_meta(file);
  EXPECT_EQ(meta.probe, "next-token");
  EXPECT_TRUE(meta.prompt.empty() && meta.tokens.empty());
}

TEST(Plot, AxisLabelShowsTokenAxesWithTheirPositions) {
  Axis tokens;
  tokens.labels = {" Mary", "\n", "the"};
  tokens.positions = {1, 2, 3};
  EXPECT_EQ(axis_label(tokens, 0), "1:␣Mary");
  EXPECT_EQ(axis_label(tokens, 1), "2:\\n");
  EXPECT_EQ(axis_label(tokens, 2), "3:the");
  Axis heads;
  heads.labels = {"L0H0", "L0 H1"};
  EXPECT_EQ(axis_label(heads, 1), "L0 H1");  // a plain label is shown as stored
  Axis numbers;
  numbers.values = {0.5, 1234567};
  EXPECT_EQ(axis_label(numbers, 0), "0.5");
  EXPECT_EQ(axis_label(numbers, 1), "1.2346e+06");
  EXPECT_EQ(axis_label(Axis{}, 4), "4");
}

TEST(Plot, WritesUnderAnotherRoot) {
  TempDir dir;
  std::string path = dir.file("session.gbx");
  Plot plot = reference_plots()[2];
  {
    h5::Writer file(path);
    write_plots(file, {plot}, kMeta, "/analyses/7");
    file.commit();
  }
  h5::Reader file(path);
  EXPECT_FALSE(file.exists("/plots"));
  std::vector<Plot> plots = read_plots(file, "/analyses/7");
  ASSERT_EQ(plots.size(), 1u);
  expect_same_plot(plots[0], plot);
  EXPECT_EQ(read_plot_meta(file, "/analyses/7").probe, "attention_patterns");
}

TEST(Plot, WriteRejectsInconsistentPlotsNamingFileAndPlot) {
  TempDir dir;
  std::string path = dir.file("bad.h5");
  struct Case {
    const char* problem;
    void (*spoil)(Plot&);
  };
  const Case cases[] = {
      {"plot 'attention_L0H1': 8 values, but the shape needs 9", [](Plot& p) { p.data.pop_back(); }},
      {"plot 'attention_L0H1': x has 2 entries, data has 3 columns",
       [](Plot& p) {
         p.x.labels.pop_back();
         p.x.positions.pop_back();
       }},
      {"plot 'attention_L0H1': y has 4 entries",
       [](Plot& p) {
         p.y.labels.push_back("extra");
         p.y.positions.push_back(3);
       }},
      {"plot 'attention_L0H1': unknown kind 'pie'", [](Plot& p) { p.kind = "pie"; }},
      {"plot 'attention_L0H1': a heatmap needs 2-D data, got rank 1",
       [](Plot& p) {
         p.shape = {9};
         p.y = {};
       }},
      {"plot 'attention_L0H1': x has both numbers and labels", [](Plot& p) { p.x.values = {1, 2, 3}; }},
      {"plot 'attention_L0H1': x has 2 token positions for 3 labels", [](Plot& p) { p.x.positions.pop_back(); }},
      {"plot 'attention_L0H1': y has token positions but no labels",
       [](Plot& p) {
         p.y.labels.clear();
         p.y.values = {0, 1, 2};
       }},
      {"plot 'a/b': the name must be non-empty", [](Plot& p) { p.name = "a/b"; }},
  };
  for (const Case& c : cases) {
    Plot plot = reference_plots()[0];
    c.spoil(plot);
    std::string message = write_error(path, plot);
    EXPECT_EQ(message.rfind(path + ": " + c.problem, 0), 0u) << message;
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // nothing committed, nothing left behind
}

TEST(Plot, WriteRejectsSeriesCountMismatch) {
  TempDir dir;
  std::string path = dir.file("bad.h5");
  Plot lens = reference_plots()[1];
  lens.series.pop_back();
  EXPECT_EQ(write_error(path, lens),
            path + ": plot 'logit_lens': [series, x] data with 2 series needs as many series names, got 1");
  Plot histogram = reference_plots()[2];
  histogram.series = {"one"};
  EXPECT_EQ(write_error(path, histogram),
            path + ": plot 'norms': series names belong to [series, x] line or bar plots");
}

TEST(Plot, WriteRejectsDuplicateNames) {
  TempDir dir;
  std::string path = dir.file("bad.h5");
  h5::Writer file(path);
  Plot plot = reference_plots()[2];
  try {
    write_plots(file, {plot, plot}, kMeta);
    FAIL() << "wrote two plots with one name";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), (path + ": plot 'norms' appears twice").c_str());
  }
}

TEST(Plot, ReadRejectsInconsistentFilesNamingFileAndPlot) {
  TempDir dir;
  std::string path = dir.file("foreign.h5");
  {
    h5::Writer file(path);
    const float data[] = {1, 2, 3};
    const double x[] = {0, 1};
    file.dataset("/plots/broken/data", data, {3});
    file.dataset("/plots/broken/x", x, {2});
    file.attr("/plots/broken", "kind", std::string("bar"));
    file.commit();
  }
  h5::Reader file(path);
  try {
    read_plots(file);
    FAIL() << "read an inconsistent plot";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), (path + ": plot 'broken': x has 2 entries, data has 3 columns").c_str());
  }
}

TEST(Plot, ReadRejectsPositionsThatDoNotMatchTheLabels) {
  TempDir dir;
  std::string path = dir.file("foreign.h5");
  {
    h5::Writer file(path);
    const float data[] = {1, 2};
    const int64_t positions[] = {0, 1, 2};
    file.dataset("/plots/probs/data", data, {2});
    file.dataset("/plots/probs/x", std::vector<std::string>{"a", "b"});
    file.dataset("/plots/probs/x_positions", positions, {3});
    file.attr("/plots/probs", "kind", std::string("bar"));
    file.commit();
  }
  h5::Reader file(path);
  try {
    read_plots(file);
    FAIL() << "read positions that do not match the labels";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), (path + ": plot 'probs': x has 3 token positions for 2 labels").c_str());
  }
}

TEST(Plot, ReadRejectsPlotWithoutKind) {
  TempDir dir;
  std::string path = dir.file("foreign.h5");
  {
    h5::Writer file(path);
    const float data[] = {1, 2, 3};
    file.dataset("/plots/unlabelled/data", data, {3});
    file.commit();
  }
  h5::Reader file(path);
  try {
    read_plots(file);
    FAIL() << "read a plot without a kind";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), (path + ": '/plots/unlabelled' has no attribute 'kind'").c_str());
  }
}

TEST(Plot, UtcTimestampIsIso8601) {
  EXPECT_TRUE(std::regex_match(utc_timestamp(), std::regex(R"(20\d\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\dZ)")));
  EXPECT_STREQ(kVersion, "0.1.0");
}

// Writes the file that tests/reference/check_h5_files.py checks with h5py:
//   GLASSBOX_H5_REFERENCE_OUT=/tmp/ref.h5 test_formats --gtest_filter=Plot.ReferenceFile
//   python3 tests/reference/check_h5_files.py /tmp/ref.h5
TEST(Plot, ReferenceFile) {
  TempDir dir;
  const char* requested = std::getenv("GLASSBOX_H5_REFERENCE_OUT");
  std::string path = requested ? requested : dir.file("reference.h5");
  write_reference_file(path);
  EXPECT_EQ(read_plots(h5::Reader(path)).size(), 4u);
}

}  // namespace
}  // namespace glassbox
