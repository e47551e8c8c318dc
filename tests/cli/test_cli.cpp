// glassbox-cli info | tokenize | run | probe, as a user runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "core/h5.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

using test::run_cli;
using test::shell_quote;

// "1,2,3": token ids as --tokens takes them.
std::string comma_separated(const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t id : ids) text += (text.empty() ? "" : ",") + std::to_string(id);
  return text;
}

TEST(Cli, InfoNamesTheFamilyAndHooks) {
  auto r = run_cli("info --model " + shell_quote(test::data("models/neox_parallel")));
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["family"], "gpt_neox");
  EXPECT_EQ(j["n_layers"], 2);
  EXPECT_EQ(j["parallel_residual"], true);
  auto hooks = j["hook_names"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(hooks.begin(), hooks.end(), "blocks.1.attn.hook_rot_q"), hooks.end());
  EXPECT_EQ(std::find(hooks.begin(), hooks.end(), "blocks.1.hook_resid_mid"), hooks.end());
}

TEST(Cli, TokenizeMatchesHuggingFace) {
  auto r = run_cli("tokenize --model " + shell_quote(test::data("tokenizers/gpt2")) + " --text " +
                   shell_quote("Hello world, it's 2026!"));
  ASSERT_EQ(r.status, 0) << r.err;
  // tokenizers: BPE.from_file(gpt2 vocab, merges) + ByteLevel
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json({15496, 995, 11, 340, 338, 1160, 2075, 0}));
}

TEST(Cli, RunWritesTheActivationCacheLayout) {
  test::TempDir tmp;
  const auto goldens = test::load_goldens();
  const test::Golden& g = goldens.front();
  const std::string ids = comma_separated(g.input_ids());
  const std::string out = tmp.file("cache.h5");
  auto r = run_cli("run --model " + shell_quote(g.model_dir) + " --tokens " + ids + " --out " + shell_quote(out) +
                   " --hooks " + shell_quote("blocks\\.\\d+\\.hook_resid_post|.*hook_pattern"));
  ASSERT_EQ(r.status, 0) << r.err;
  h5::Reader f(out);
  EXPECT_EQ(f.attr_string("/", "glassbox_format"), "activation-cache");
  EXPECT_EQ(f.attr_int("/", "format_version"), 1);
  EXPECT_EQ(f.attr_string("/", "model"), g.model_dir);
  EXPECT_EQ(f.read_int64("/tokens"), g.input_ids());
  EXPECT_EQ(f.read_strings("/token_strings").size(), g.input_ids().size());
  const at::Tensor& logits = g.tensors.at("logits");
  EXPECT_EQ(f.shape("/logits"), logits.sizes().vec());
  at::Tensor read = at::tensor(f.read_float("/logits")).view(logits.sizes());
  EXPECT_LE(test::relative_error(read, logits), 1e-4);
  EXPECT_EQ(f.children("/cache"),
            (std::vector<std::string>{"blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post",
                                      "blocks.1.attn.hook_pattern", "blocks.1.hook_resid_post"}));
  const at::Tensor& pattern = g.tensors.at("blocks.1.attn.hook_pattern");
  EXPECT_EQ(f.shape("/cache/blocks.1.attn.hook_pattern"), pattern.sizes().vec());
  at::Tensor p = at::tensor(f.read_float("/cache/blocks.1.attn.hook_pattern")).view(pattern.sizes());
  EXPECT_LE(test::relative_error(p, pattern), 1e-4);
}

TEST(Cli, RunDryRunShowsWhatTheCaptureWouldHoldAndWritesNothing) {
  test::TempDir tmp;
  const std::string out = tmp.file("cache.h5");
  auto r = run_cli("run --model " + shell_quote(test::data("models/gpt2_a")) + " --tokens 1,2,3,4 --out " +
                   shell_quote(out) + " --hooks " + shell_quote(".*hook_pattern") + " --dry-run");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // gpt2_a: 2 layers of 4 heads, a pattern is [4, 4, 4] float32; 512-token vocabulary.
  EXPECT_EQ(j["hook_points"], 2);
  EXPECT_EQ(j["cache_bytes"], 2 * 4 * 4 * 4 * 4);
  EXPECT_EQ(j["logits_bytes"], 4 * 512 * 4);
  EXPECT_EQ(j["fits"], true);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, RunAboveTheMemoryBudgetIsRefusedWithTheEstimateUnlessStreamed) {
  test::TempDir tmp;
  const auto goldens = test::load_goldens();
  const test::Golden& g = goldens.front();
  const std::string ids = comma_separated(g.input_ids());
  const std::string base = "run --model " + shell_quote(g.model_dir) + " --tokens " + ids;
  const std::string kept = tmp.file("kept.h5"), refused = tmp.file("refused.h5"), streamed = tmp.file("streamed.h5");
  ASSERT_EQ(run_cli(base + " --out " + shell_quote(kept)).status, 0);

  // The whole cache of the reference model is ~100 KiB; the largest activation a few KiB.
  auto r = run_cli(base + " --out " + shell_quote(refused) + " --memory-budget 48K");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(refused + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("above the memory budget of 48.0 KiB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--stream"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(refused));

  r = run_cli(base + " --out " + shell_quote(streamed) + " --memory-budget 48K --stream");
  ASSERT_EQ(r.status, 0) << r.err;
  h5::Reader a(kept), b(streamed);
  ASSERT_EQ(b.children("/cache"), a.children("/cache"));
  for (const auto& name : a.children("/cache")) EXPECT_EQ(b.read_float("/cache/" + name), a.read_float("/cache/" + name)) << name;
  EXPECT_EQ(b.read_float("/logits"), a.read_float("/logits"));

  r = run_cli(base + " --out " + shell_quote(refused) + " --memory-budget lots");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--memory-budget: memory budget 'lots' is not a size"), std::string::npos) << r.err;
}

TEST(Cli, ProbesShowWhatTheyKeepBeforeRunningAndRefuseAboveTheBudget) {
  test::TempDir tmp;
  const std::string base = "probe attention-heads --model " + shell_quote(test::data("models/gpt2_a")) +
                           " --tokens 1,2,3,4,5,6,7,8 --out " + shell_quote(tmp.file("heads.h5"));
  auto r = run_cli(base + " --dry-run");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // Every pattern of the prompt (2 layers × 4 heads × 8 × 8) and its logits (8 × 512), float32.
  EXPECT_EQ(j["held_bytes"], (2 * 4 * 8 * 8 + 8 * 512) * 4);
  EXPECT_EQ(j["fits"], true);
  EXPECT_FALSE(std::filesystem::exists(tmp.file("heads.h5")));

  r = run_cli(base + " --memory-budget 16K");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("attention-heads on 8 tokens keeps about 18.0 KiB of activations and logits, above the memory "
                       "budget of 16.0 KiB"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("heads.h5")));
  ASSERT_EQ(run_cli(base + " --memory-budget 32K").status, 0);
}

TEST(Cli, BadInputGivesOneLineAndNonZeroExit) {
  test::TempDir tmp;
  const std::string model = shell_quote(test::data("models/gpt2_a"));
  struct Case {
    std::string args, expected;
  } cases[] = {
      {"run --model " + model + " --tokens 1,2,3", "missing --out"},
      {"run --model " + model + " --tokens 1,x --out " + tmp.file("a.h5"), "'x' is not a token id"},
      {"run --model " + model + " --tokens 1,999999 --out " + tmp.file("a.h5"), "outside the vocabulary"},
      {"run --model " + model + " --prompt hi --out " + tmp.file("a.h5"), "has no tokenizer"},
      {"run --model " + model + " --tokens 1 --out " + tmp.file("a.h5") + " --frobnicate 3", "unknown option --frobnicate"},
      {"info --model " + shell_quote(tmp.file("missing")), "missing"},
      {"info --model " + model + " --device quantum", "unknown device"},
      {"frobnicate", "unknown command"},
  };
  for (const Case& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), c.expected == "unknown command" ? 100 : 1) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.file("a.h5")));
}

// gpt2_a with a byte-level BPE tokenizer small enough for its vocabulary of
// 512: the letters a-z (ids 0-25), "Ġ" (a space, 26), and " the" (29).
std::string gpt2_a_with_tokenizer(const test::TempDir& tmp) {
  namespace fs = std::filesystem;
  const std::string folder = tmp.file("gpt2_a");
  fs::create_directory(folder);
  for (const auto& entry : fs::directory_iterator(test::model_dir("gpt2_a")))
    fs::copy_file(entry.path(), fs::path(folder) / entry.path().filename());
  nlohmann::json vocab = {{"Ġ", 26}, {"Ġt", 27}, {"Ġth", 28}, {"Ġthe", 29}};
  for (int letter = 0; letter < 26; ++letter) vocab[std::string(1, char('a' + letter))] = letter;
  std::ofstream(folder + "/vocab.json") << vocab.dump();
  std::ofstream(folder + "/merges.txt") << "#version: 0.2\nĠ t\nĠt h\nĠth e\n";
  return folder;
}

TEST(Cli, ProbeExportsThePromptItsTokensAndRawTokenStrings) {
  test::TempDir tmp;
  const std::string model = gpt2_a_with_tokenizer(tmp);
  const std::string out = tmp.file("lens.h5");
  auto r = run_cli("probe logit-lens --model " + shell_quote(model) + " --prompt " + shell_quote("the cat the") +
                   " --out " + shell_quote(out));
  ASSERT_EQ(r.status, 0) << r.err;
  h5::Reader file(out);
  const std::string group = "/plots/logit_lens_kl";
  EXPECT_EQ(file.attr_string(group, "prompt"), "the cat the");
  const std::vector<int64_t> ids = {19, 7, 4, 26, 2, 0, 19, 29};  // t h e ␣ c a t ␣the
  EXPECT_EQ(file.read_int64(group + "/tokens"), ids);
  EXPECT_EQ(file.read_strings(group + "/x"),
            (std::vector<std::string>{"t", "h", "e", " ", "c", "a", "t", " the"}));  // real spaces, no positions
  EXPECT_EQ(file.read_int64(group + "/x_positions"), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  const PlotMeta meta = read_plot_meta(file);
  EXPECT_EQ(meta.prompt, "the cat the");
  EXPECT_EQ(meta.tokens, ids);

  // Token ids given directly: no prompt text, the same ids.
  const std::string by_ids_out = tmp.file("by_ids.h5");
  auto by_ids =
      run_cli("probe logit-lens --model " + shell_quote(model) + " --tokens 19,7,4 --out " + shell_quote(by_ids_out));
  ASSERT_EQ(by_ids.status, 0) << by_ids.err;
  const PlotMeta given = read_plot_meta(h5::Reader(by_ids_out));
  EXPECT_EQ(given.prompt, "");
  EXPECT_EQ(given.tokens, (std::vector<int64_t>{19, 7, 4}));
}

}  // namespace
}  // namespace glassbox
