// Session files: what is saved reads back exactly, saves are atomic, and
// hostile files are refused with one message naming the file and the problem.
#include "core/session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/h5.h"
#include "core/sha256.h"
#include "hostile_files.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

void expect_same_plots(const std::vector<Plot>& a, const std::vector<Plot>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].title, b[i].title);
    EXPECT_EQ(a[i].shape, b[i].shape);
    ASSERT_EQ(a[i].data.size(), b[i].data.size());
    EXPECT_EQ(0, std::memcmp(a[i].data.data(), b[i].data.data(), a[i].data.size() * sizeof(float)));
    EXPECT_EQ(a[i].x.labels, b[i].x.labels);
    EXPECT_EQ(a[i].x.positions, b[i].x.positions);
    EXPECT_EQ(a[i].y.labels, b[i].y.labels);
  }
}

TEST(Sha256, MatchesTheStandardsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  TempDir dir;
  std::ofstream(dir.file("a")) << std::string(1000000, 'a');
  EXPECT_EQ(sha256_file(dir.file("a")), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  try {
    sha256_file(dir.file("missing"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.file("missing") + ": ", 0), 0u) << e.what();
  }
}

TEST(Session, RoundTripsEveryPart) {
  TempDir dir;
  const Session saved = test::small_session(dir.file("model"));
  write_session(dir.file("s.gbx"), saved);
  const Session read = read_session(dir.file("s.gbx"));
  EXPECT_EQ(read.model.path, saved.model.path);
  EXPECT_EQ(read.model.kind, "folder");
  EXPECT_EQ(read.model.config_json, saved.model.config_json);
  EXPECT_EQ(read.model.weights_files, saved.model.weights_files);
  EXPECT_EQ(read.model.weights_sha256, saved.model.weights_sha256);
  EXPECT_EQ(read.model.device, "cpu");
  ASSERT_EQ(read.prompts.size(), 1u);
  EXPECT_EQ(read.prompts[0].text, "When Mary and");
  EXPECT_EQ(read.prompts[0].tokens, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(read.prompts[0].token_strings, saved.prompts[0].token_strings);
  ASSERT_EQ(read.runs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read.runs[i].analysis, saved.runs[i].analysis);
    EXPECT_EQ(read.runs[i].params_json, saved.runs[i].params_json);
    EXPECT_EQ(read.runs[i].inputs_json, saved.runs[i].inputs_json);
    EXPECT_EQ(read.runs[i].prompt, 0);
    EXPECT_EQ(read.runs[i].edits_json, "[]");
    EXPECT_EQ(read.runs[i].started_utc, saved.runs[i].started_utc);
    EXPECT_DOUBLE_EQ(read.runs[i].seconds, saved.runs[i].seconds);
    expect_same_plots(read.runs[i].plots, saved.runs[i].plots);
  }
  EXPECT_EQ(read.window_json, saved.window_json);

  // Each run's plots are in the plot-export layout, with the prompt they ran on.
  const h5::Reader file(dir.file("s.gbx"));
  EXPECT_EQ(file.attr_string("/", "glassbox_format"), "session");
  EXPECT_EQ(file.attr_int("/", "format_version"), kSessionFormatVersion);
  const PlotMeta meta = read_plot_meta(file, "/runs/0001/plots");
  EXPECT_EQ(meta.probe, "logit-lens");
  EXPECT_EQ(meta.prompt, "When Mary and");
  EXPECT_EQ(meta.tokens, (std::vector<int64_t>{7, 8, 9}));
}

TEST(Session, AddPromptReusesAnEqualPrompt) {
  Session s;
  EXPECT_EQ(s.add_prompt({"a", false, {1}, {"a"}}), 0);
  EXPECT_EQ(s.add_prompt({"b", false, {2}, {"b"}}), 1);
  EXPECT_EQ(s.add_prompt({"a", false, {1}, {"a"}}), 0);
  EXPECT_EQ(s.add_prompt({"a", true, {0, 1}, {"<s>", "a"}}), 2);
}

TEST(Session, DescribesAModelByTheHashOfEachWeightsFile) {
  TempDir dir;
  const std::string model = dir.file("model");
  fs::create_directory(model);
  std::ofstream(model + "/model-00002.safetensors") << "two";
  std::ofstream(model + "/model-00001.safetensors") << "one";
  std::ofstream(model + "/config.json") << "{}";
  ModelInfo info;
  info.family = "gpt2";
  info.config_json = "{}";
  const SessionModel m = describe_model(model, info, "cpu", "float32");
  EXPECT_EQ(m.kind, "folder");
  ASSERT_EQ(m.weights_files.size(), 2u);
  EXPECT_EQ(fs::path(m.weights_files[0]).filename(), "model-00001.safetensors");
  EXPECT_EQ(m.weights_sha256[0], sha256_hex("one"));
  EXPECT_EQ(weights_mismatch(m, m), "");

  std::ofstream(model + "/model-00002.safetensors") << "TWO";
  const std::string changed = weights_mismatch(m, describe_model(model, info, "cpu", "float32"));
  EXPECT_NE(changed.find("model-00002.safetensors: the weights differ"), std::string::npos) << changed;
  fs::remove(model + "/model-00001.safetensors");
  const std::string missing = weights_mismatch(m, describe_model(model, info, "cpu", "float32"));
  EXPECT_NE(missing.find("model-00001.safetensors: missing"), std::string::npos) << missing;
}

TEST(Session, HostileFilesAreRefusedNamingTheFileAndTheProblem) {
  TempDir dir;
  const auto cases = test::write_hostile_sessions(dir.path());
  EXPECT_GE(cases.size(), 15u);
  for (const test::HostileFile& c : cases)
    EXPECT_TRUE(test::names_file_and_problem(test::error_of([&] { open_session(c.path); }), c));
}

TEST(Session, AFailedSaveLeavesThePreviousFileIntact) {
  TempDir dir;
  const std::string path = dir.file("s.gbx");
  Session s = test::small_session(dir.file("model"));
  write_session(path, s);
  const std::string before = test::slurp(path);
  std::vector<Plot> plots = s.runs[0].plots;
  plots[0].name = "bad/name";  // refused while writing, after other parts are written
  s.runs[0].plots = std::move(plots);
  EXPECT_THROW(write_session(path, s), Error);
  EXPECT_EQ(test::slurp(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace glassbox
