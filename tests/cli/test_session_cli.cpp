// glassbox-cli session info|export|upgrade and probe --session: batch runs
// collected in a session that the GUI opens; a save killed halfway loses
// nothing; a session of format 1 is refused until upgraded.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/h5.h"
#include "core/session.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::run_cli;
using test::shell_quote;
namespace fs = std::filesystem;

std::string probe_into(const std::string& analysis, const std::string& session, const std::string& extra = "") {
  return "probe " + analysis + " --model " + shell_quote(test::model_dir("gpt2_a")) + " --tokens 5,17,42,5,17 " +
         extra + " --session " + shell_quote(session);
}

TEST(SessionCli, ProbesAppendTheirRunsAndInfoListsThem) {
  test::TempDir tmp;
  const std::string session = tmp.file("batch.gbx");
  auto first = run_cli(probe_into("residual-norms", session));
  ASSERT_EQ(first.status, 0) << first.err;
  auto second = run_cli(probe_into("logit-lens", session, "--top-k 2"));
  ASSERT_EQ(second.status, 0) << second.err;

  const Session s = read_session(session);
  EXPECT_EQ(s.model.path, test::model_dir("gpt2_a"));
  EXPECT_EQ(s.model.kind, "folder");
  EXPECT_EQ(s.model.family, "gpt2");
  ASSERT_EQ(s.model.weights_sha256.size(), 1u);
  EXPECT_EQ(s.model.weights_sha256[0].size(), 64u);
  ASSERT_EQ(s.prompts.size(), 1u);  // both runs used the same tokens
  EXPECT_EQ(s.prompts[0].tokens, (std::vector<int64_t>{5, 17, 42, 5, 17}));
  ASSERT_EQ(s.runs.size(), 2u);
  EXPECT_EQ(s.runs[0].analysis, "residual-norms");
  EXPECT_EQ(s.runs[1].analysis, "logit-lens");
  EXPECT_EQ(nlohmann::json::parse(s.runs[1].params_json)["top_k"], 2);
  EXPECT_EQ(nlohmann::json::parse(s.runs[1].inputs_json)["top_k"]["text"], "2");
  EXPECT_FALSE(s.runs[1].plots.empty());
  EXPECT_GT(s.runs[1].seconds, 0.0);
  EXPECT_EQ(s.runs[1].started_utc.size(), 20u);

  auto info = run_cli("session info " + shell_quote(session));
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("residual-norms"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("logit-lens"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("\"top_k\":2"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find(s.model.weights_sha256[0]), std::string::npos) << info.out;
  auto json = run_cli("session info " + shell_quote(session) + " --json");
  ASSERT_EQ(json.status, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["runs"].size(), 2u);
  EXPECT_EQ(parsed["runs"][1]["params"]["top_k"], 2);
  EXPECT_EQ(parsed["prompts"][0]["tokens"].size(), 5u);
}

TEST(SessionCli, ExportWritesTheLatestRunOfEachAnalysisOrOneRun) {
  test::TempDir tmp;
  const std::string session = tmp.file("batch.gbx");
  ASSERT_EQ(run_cli(probe_into("residual-norms", session)).status, 0);
  ASSERT_EQ(run_cli(probe_into("logit-lens", session, "--top-k 1")).status, 0);
  ASSERT_EQ(run_cli(probe_into("logit-lens", session, "--top-k 3")).status, 0);
  const Session s = read_session(session);

  auto all = run_cli("session export " + shell_quote(session) + " --out " + shell_quote(tmp.file("all.h5")));
  ASSERT_EQ(all.status, 0) << all.err;
  const auto plots = test::read_plot_map(tmp.file("all.h5"));
  EXPECT_EQ(plots.size(), s.runs[0].plots.size() + s.runs[2].plots.size());
  for (const Plot& p : s.runs[2].plots) {
    ASSERT_TRUE(plots.count("logit-lens." + p.name)) << p.name;
    EXPECT_EQ(plots.at("logit-lens." + p.name).data, p.data);  // run 2, the latest, not run 1
  }
  h5::Reader file(tmp.file("all.h5"));
  const std::string group = "/plots/logit-lens." + s.runs[2].plots[0].name;
  EXPECT_EQ(file.read_int64(group + "/tokens"), (std::vector<int64_t>{5, 17, 42, 5, 17}));
  EXPECT_EQ(nlohmann::json::parse(file.attr_string(group, "params_json"))["top_k"], 3);

  auto one = run_cli("session export " + shell_quote(session) + " --run 1 --out " + shell_quote(tmp.file("one.h5")));
  ASSERT_EQ(one.status, 0) << one.err;
  const auto run1 = test::read_plot_map(tmp.file("one.h5"));
  ASSERT_EQ(run1.size(), s.runs[1].plots.size());
  EXPECT_EQ(run1.at(s.runs[1].plots[0].name).data, s.runs[1].plots[0].data);

  EXPECT_TRUE(test::fails_clearly(
      run_cli("session export " + shell_quote(session) + " --run 7 --out " + shell_quote(tmp.file("x.h5"))),
      "the session has runs 0 to 2"));
  EXPECT_FALSE(fs::exists(tmp.file("x.h5")));
}

TEST(SessionCli, ASessionOfAnotherModelIsRefused) {
  test::TempDir tmp;
  const std::string session = tmp.file("batch.gbx");
  ASSERT_EQ(run_cli(probe_into("residual-norms", session)).status, 0);
  const std::string before = test::slurp(session);
  auto other = run_cli("probe residual-norms --model " + shell_quote(test::model_dir("gpt2_b")) +
                       " --tokens 1,2 --session " + shell_quote(session));
  EXPECT_TRUE(test::fails_clearly(other, "the session was made with the model " + test::model_dir("gpt2_a")));
  EXPECT_EQ(test::slurp(session), before);
}

TEST(SessionCli, ASaveKilledHalfwayLeavesThePreviousSessionIntact) {
  test::TempDir tmp;
  const std::string session = tmp.file("batch.gbx");
  for (const char* analysis : {"residual-norms", "logit-lens", "attention-pattern"})
    ASSERT_EQ(run_cli(probe_into(analysis, session)).status, 0);
  const std::string before = test::slurp(session);
  // A test-only hook ends the process after 2 of the 4 runs are written, as a crash would.
  auto killed = run_cli(probe_into("contributions", session), "GLASSBOX_TEST_ABORT_SAVE_AFTER_RUNS=2");
  EXPECT_EQ(killed.status, 86) << killed.err;
  EXPECT_EQ(test::slurp(session), before);
  EXPECT_EQ(read_session(session).runs.size(), 3u);

  // The next save completes and clears what the dead process left behind.
  ASSERT_EQ(run_cli(probe_into("contributions", session)).status, 0);
  EXPECT_EQ(read_session(session).runs.size(), 4u);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

// Format 1 (variable-length strings) is refused with the way out; `session
// upgrade` rewrites it, to --out or in place, with every part the same.
TEST(SessionCli, AFormat1SessionIsRefusedUntilUpgraded) {
  test::TempDir tmp;
  const std::string old_session = tmp.file("old.gbx"), upgraded = tmp.file("new.gbx");
  fs::copy_file(test::data("sessions/format1_one_run.gbx"), old_session);
  EXPECT_TRUE(test::fails_clearly(run_cli("session info " + shell_quote(old_session)),
                                  "is a variable-length string, which Glassbox wrote before session format 2"));

  auto upgrade = run_cli("session upgrade " + shell_quote(old_session) + " --out " + shell_quote(upgraded));
  ASSERT_EQ(upgrade.status, 0) << upgrade.err;
  const Session before = read_session(old_session, h5::VariableLengthStrings::Read), after = read_session(upgraded);
  EXPECT_EQ(h5::Reader(upgraded).attr_int("/", "format_version"), kSessionFormatVersion);
  EXPECT_EQ(after.model.path, before.model.path);
  EXPECT_EQ(after.model.weights_sha256, before.model.weights_sha256);
  ASSERT_EQ(after.prompts.size(), before.prompts.size());
  for (size_t i = 0; i < after.prompts.size(); ++i) {
    EXPECT_EQ(after.prompts[i].text, before.prompts[i].text);
    EXPECT_EQ(after.prompts[i].token_strings, before.prompts[i].token_strings);
  }
  ASSERT_EQ(after.runs.size(), before.runs.size());
  ASSERT_FALSE(after.runs.empty());
  for (size_t i = 0; i < after.runs.size(); ++i) {
    EXPECT_EQ(after.runs[i].analysis, before.runs[i].analysis);
    EXPECT_EQ(after.runs[i].params_json, before.runs[i].params_json);
    ASSERT_EQ(after.runs[i].plots.size(), before.runs[i].plots.size());
    for (size_t p = 0; p < after.runs[i].plots.size(); ++p)
      EXPECT_EQ(after.runs[i].plots[p].data, before.runs[i].plots[p].data);
  }
  EXPECT_EQ(after.window_json, before.window_json);

  ASSERT_EQ(run_cli("session upgrade " + shell_quote(old_session)).status, 0);
  EXPECT_EQ(read_session(old_session).runs.size(), before.runs.size());
}

}  // namespace
}  // namespace glassbox
