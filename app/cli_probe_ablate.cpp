// glassbox-cli probe ablate: zero or mean ablation of MLP neurons and attention heads.
#include <ATen/ATen.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.h"
#include "app/cli_target.h"
#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/ablate.h"

namespace glassbox::cli {
namespace {

// "L:N,L:N" -> (layer, index) pairs.
std::vector<std::pair<int, int64_t>> layer_index_pairs(Args& args, const std::string& key) {
  std::vector<std::pair<int, int64_t>> pairs;
  for (const std::string& item : args.strings(key)) {
    const size_t colon = item.find(':');
    char* end_layer = nullptr;
    char* end_index = nullptr;
    const std::string layer = item.substr(0, colon), index = colon == std::string::npos ? "" : item.substr(colon + 1);
    const long l = std::strtol(layer.c_str(), &end_layer, 10);
    const long long i = std::strtoll(index.c_str(), &end_index, 10);
    if (layer.empty() || index.empty() || *end_layer || *end_index)
      fail("command line", "--" + key + ": '" + item + "' is not LAYER:INDEX");
    pairs.emplace_back(static_cast<int>(l), i);
  }
  return pairs;
}

// One prompt per non-empty line: comma-separated ids, or text for the tokenizer.
std::vector<std::vector<int64_t>> reference_prompts(const std::string& path, bool ids, const Model& model) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open file");
  if (!ids && !model.tokenizer()) fail(model.dir(), "the model folder has no tokenizer; use --reference-tokens");
  std::vector<std::vector<int64_t>> prompts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::vector<int64_t> tokens;
    if (ids) {
      std::stringstream ss(line);
      std::string item;
      while (std::getline(ss, item, ',')) {
        char* end = nullptr;
        const long long id = std::strtoll(item.c_str(), &end, 10);
        if (item.empty() || *end || id < 0 || id >= model.info().d_vocab)
          fail(path, "line " + std::to_string(number) + ": '" + item + "' is not a token id in [0, " +
                         std::to_string(model.info().d_vocab) + ")");
        tokens.push_back(id);
      }
    } else {
      tokens = model.tokenizer()->encode(line);
    }
    prompts.push_back(std::move(tokens));
  }
  if (prompts.empty()) fail(path, "no reference prompts in the file");
  return prompts;
}

int probe_ablate(Args& args) {
  auto model = load_model_from_args(args);
  probes::AblateParams params;
  params.tokens = tokens_from_args(args, *model);
  if (args.has("neurons"))
    for (auto [layer, neuron] : layer_index_pairs(args, "neurons")) params.neurons.push_back({layer, neuron});
  if (args.has("heads"))
    for (auto [layer, head] : layer_index_pairs(args, "heads")) params.heads.push_back({layer, static_cast<int>(head)});
  const std::string mode = args.get("mode", "zero");
  if (mode != "zero" && mode != "mean") fail("command line", "--mode must be zero or mean, got '" + mode + "'");
  params.mode = mode == "mean" ? probes::AblationMode::mean : probes::AblationMode::zero;
  if (args.has("reference-tokens") && args.has("reference-prompts"))
    fail("command line", "give --reference-tokens or --reference-prompts, not both");
  if ((args.has("reference-tokens") || args.has("reference-prompts")) && mode != "mean")
    fail("command line", "reference prompts are for --mode mean");
  if (args.has("reference-tokens")) params.reference = reference_prompts(args.get("reference-tokens"), true, *model);
  if (args.has("reference-prompts")) params.reference = reference_prompts(args.get("reference-prompts"), false, *model);
  params.target = target_from_args(args, *model);
  const std::string out = args.get("out");
  args.finish();

  probes::AblateResult result = probes::ablate(*model, params, {});
  nlohmann::json neurons = nlohmann::json::array(), heads = nlohmann::json::array();
  for (const auto& n : params.neurons) neurons.push_back({n.layer, n.neuron});
  for (const auto& h : params.heads) heads.push_back({h.layer, h.head});
  nlohmann::json params_json = {{"tokens", params.tokens}, {"neurons", neurons},       {"heads", heads},
                                {"mode", mode},            {"reference", params.reference}};
  params_json["target"] = params.target ? nlohmann::json(*params.target) : nlohmann::json(nullptr);
  write_plots_to(out, probes::to_plots(result), "ablate", params_json.dump(), *model);
  nlohmann::json summary = {{"out", out},
                            {"clean_loss", result.clean_loss},
                            {"ablated_loss", result.ablated_loss},
                            {"loss_change", result.ablated_loss - result.clean_loss}};
  if (params.target) {
    summary["clean_target_prob"] = result.target_prob[0][-1].item<double>();
    summary["ablated_target_prob"] = result.target_prob[1][-1].item<double>();
  }
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe ablate",
     "--model DIR (--prompt S | --tokens 1,2,3) [--neurons L:N,...] [--heads L:H,...] [--mode zero|mean] "
     "[--reference-tokens F | --reference-prompts F] [--target ID | --target-text S] --out F.h5",
     &probe_ablate});

}  // namespace
}  // namespace glassbox::cli
