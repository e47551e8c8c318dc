// The registry of analyses: every analysis runs from the CLI with the flags its
// declaration implies, and records the same params_json as the GUI's path
// (parse_params with the GUI's inputs, then params_json).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "core/tokenizer.h"
#include "probes/registry.h"

namespace glassbox {
namespace {

using probes::Analysis;
using probes::Need;
using probes::ParamType;

const std::string kPrompt = "the friend of the friend of Kisa is";

// Values other than the defaults where a default would not exercise the flag.
const std::map<std::string, std::map<std::string, std::string>> kTyped = {
    {"next-token", {{"position", "2"}, {"top_k", "3"}}},
    {"attention-pattern", {{"head", "1:2"}}},
    {"activation", {{"hook", "blocks.1.attn.hook_z"}}},
    {"logit-lens", {{"top_k", "3"}, {"target", "is"}, {"include_embed", "false"}}},
    {"contributions", {{"skip_layers", "false"}}},
    {"attention-heads", {{"induction_seq_len", "4"}, {"seed", "3"}}},
    {"backpatch", {{"span", "Kisa"}, {"generate", "2"}, {"answers", "Sata, Nadina"}}},
    {"backpatch-dataset", {{"generate", "2"}, {"span_e1", "true"}}},
    {"head-svd", {{"head", "2:1"}, {"directions", "2"}, {"top_k", "3"}}},
    {"composition", {{"sender", "0:1"}, {"intervene", "1:0"}, {"scale", "0.5"}, {"target", "is"}}},
    {"ablate", {{"heads", "0:1,2:3"}, {"neurons", "1:7"}, {"mode", "mean"}, {"target", "is"}}},
    {"sparsity", {{"epsilon", "0.5"}}},
    {"ipr", {{"bins", "20"}}},
    {"prune-curve", {{"ablation", "mean"}}},
    {"activation-patching", {{"corrupted", "the friend of the friend of Rigu is"}, {"grid", "head_out"}}},
    {"logit-attribution", {{"position", "-1"}}},
    {"generate", {{"max_new_tokens", "3"}, {"mode", "sample"}, {"seed", "7"}}},
};

TEST(Registry, EveryAnalysisRecordsTheSameParametersFromTheCliAsFromTheGui) {
  test::TempDir dir;
  // A few rows of the two-hop model's own data set.
  const std::string dataset = dir.file("rows.csv");
  {
    std::ifstream in(test::resources("models/two-hop/two_hop_heldout.csv"));
    std::ofstream out(dataset);
    std::string line;
    for (int i = 0; i < 3 && std::getline(in, line); ++i) out << line << "\n";
  }
  const std::string transformer_dir = test::resources("models/two-hop");
  const std::string mlp_dir = test::resources("models/grok-mlp-p97-wd0");
  auto transformer = load_model(transformer_dir);
  auto mlp = load_model(mlp_dir);

  std::set<std::string> covered;
  for (const Analysis& a : probes::analyses()) {
    SCOPED_TRACE(a.id);
    const Model& model = a.needs.transformer ? *transformer : *mlp;
    const std::string model_dir = a.needs.transformer ? transformer_dir : mlp_dir;

    // The GUI's path: the window's prompt and data set, typed parameter texts.
    probes::AnalysisInputs inputs;
    if (a.needs.prompt != Need::none) inputs.tokens = model.tokenizer()->encode(kPrompt, false);
    if (a.needs.dataset == Need::required) inputs.dataset = dataset;
    const auto typed = kTyped.count(a.id) ? kTyped.at(a.id) : std::map<std::string, std::string>{};
    probes::ParamInputs gui_inputs;
    std::string flags;
    for (const probes::ParamSpec& spec : a.params(model.info())) {
      auto it = typed.find(spec.name);
      if (it == typed.end()) continue;
      const bool token_text = spec.type == ParamType::token;
      gui_inputs[spec.name] = {it->second, token_text};
      flags += " " + spec.flag() + (token_text ? "-text " : " ") + test::shell_quote(it->second);
    }
    EXPECT_EQ(gui_inputs.size(), typed.size()) << "a typed value names no parameter";
    const std::string gui_json = probes::params_json(
        inputs, probes::parse_params(a.params(model.info()), gui_inputs, model, probes::Front::gui));

    std::string command = "probe " + a.id + " --model " + test::shell_quote(model_dir) + flags;
    if (a.needs.prompt != Need::none) command += " --prompt " + test::shell_quote(kPrompt);
    if (a.needs.dataset == Need::required) command += " --dataset " + test::shell_quote(dataset);
    const std::string out = dir.file(a.id + ".h5");
    const test::CliRun run = test::run_cli(command + " --out " + test::shell_quote(out));
    ASSERT_EQ(run.status, 0) << command << "\n" << run.err;
    h5::Reader file(out);
    const PlotMeta meta = read_plot_meta(file);
    EXPECT_EQ(meta.probe, a.id);
    EXPECT_EQ(nlohmann::json::parse(meta.params_json), nlohmann::json::parse(gui_json));
    EXPECT_FALSE(read_plots(file).empty());
    covered.insert(a.id);
  }
  EXPECT_EQ(covered.size(), probes::analyses().size());
  for (const auto& [id, values] : kTyped) EXPECT_NE(probes::find_analysis(id), nullptr) << id;
}

TEST(Registry, TheDefaultsThePanelShowsParse) {
  auto transformer = load_model(test::resources("models/two-hop"));
  auto mlp = load_model(test::resources("models/grok-mlp-p97-wd0"));
  for (const Analysis& a : probes::analyses()) {
    const Model& model = a.needs.transformer ? *transformer : *mlp;
    probes::ParamInputs inputs;
    for (const probes::ParamSpec& spec : a.params(model.info()))
      inputs[spec.name] = {spec.default_input(), spec.type == ParamType::token && model.tokenizer()};
    EXPECT_NO_THROW(probes::parse_params(a.params(model.info()), inputs, model, probes::Front::gui)) << a.id;
  }
}

TEST(Registry, IdsAreUniqueAndEveryParameterIsDescribed) {
  std::set<std::string> ids;
  for (const Analysis& a : probes::analyses()) {
    EXPECT_TRUE(ids.insert(a.id).second) << a.id;
    EXPECT_EQ(a.id.find('_'), std::string::npos) << "ids are spelled with '-': " << a.id;
    EXPECT_FALSE(a.title.empty() || a.description.empty()) << a.id;
    std::set<std::string> names;
    for (const probes::ParamSpec& spec : a.params(ModelInfo{})) {
      EXPECT_TRUE(names.insert(spec.name).second) << a.id << " " << spec.name;
      EXPECT_FALSE(spec.label.empty() || spec.help.empty()) << a.id << " " << spec.name;
    }
  }
}

// --shard and merge (probes/shard.h) need every data set analysis split into its rows and their reduction.
TEST(Registry, EveryDatasetAnalysisRunsInShards) {
  for (const Analysis& a : probes::analyses()) {
    if (a.needs.dataset == Need::none) continue;
    EXPECT_TRUE(a.dataset_rows && a.from_rows) << a.id;
  }
}

TEST(Registry, CliHelpListsTheDeclaredParameters) {
  const test::CliRun run = test::run_cli("probe logit-lens --help");
  ASSERT_EQ(run.status, 0) << run.err;
  for (const std::string flag : {"--top-k", "--target", "--include-embed", "--prompt", "--out"})
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag;
  const test::CliRun listing = test::run_cli("--help");
  for (const Analysis& a : probes::analyses())
    EXPECT_NE(listing.err.find("probe " + a.id), std::string::npos) << a.id;
}

// A prompt set replaces the prompt: its rows are the prompts.
TEST(Registry, PromptSetRunsTakeNoPrompt) {
  test::TempDir dir;
  const std::string csv = dir.file("pairs.csv");
  std::ofstream(csv) << "clean,corrupted,answer,wrong\n"
                        "the father of the father of Sata is,the father of the father of Raviru is,Pisari,Pevu\n"
                        "the boss of the boss of Raviru is,the boss of the boss of Sata is,Pevu,Pisari\n";
  const std::string model = " --model " + test::shell_quote(test::resources("models/two-hop"));
  for (const std::string id : {"activation-patching", "logit-attribution"}) {
    const test::CliRun run = test::run_cli("probe " + id + model + " --dataset " + test::shell_quote(csv) +
                                           " --out " + test::shell_quote(dir.file(id + ".h5")));
    ASSERT_EQ(run.status, 0) << id << ": " << run.err;
    if (id == "activation-patching") {
      EXPECT_NE(run.out.find("\"rows\": 2"), std::string::npos) << run.out;
    }
    EXPECT_TRUE(test::fails_clearly(test::run_cli("probe " + id + model + " --out /dev/null"), "prompt"));
  }
}

TEST(Registry, BadParametersNameTheFlag) {
  const std::string model = " --model " + test::shell_quote(test::resources("models/two-hop")) +
                            " --prompt " + test::shell_quote(kPrompt) + " --out /dev/null";
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --top-k x" + model), "--top-k must be an integer"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe head-svd --head 9:9 --model " +
                                                test::shell_quote(test::resources("models/two-hop")) + " --out /dev/null"),
                                  "--head"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --heads 0:1 --mode half" + model), "--mode"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --target-text ' Kisa is'" + model), "--target"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --include-embed maybe" + model), "--include-embed"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ipr" + model), "glassbox_mlp"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens stray" + model), "stray"));
}

}  // namespace
}  // namespace glassbox
