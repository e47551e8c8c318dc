// glassbox-cli probe backpatch: the back-patching grid (Biran et al., "Hopping
// Too Late") for one prompt, or for every query of a two-hop CSV file.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/cli_target.h"
#include "core/error.h"
#include "core/tokenizer.h"
#include "datasets/two_hop_csv.h"
#include "probes/backpatch.h"

namespace glassbox::cli {
namespace {

// How --position chooses the patched token.
struct PositionChoice {
  std::string mode;  // "last", "index" or "span-end"
  int64_t index = -1;
  std::vector<int64_t> span_tokens;  // --span-tokens
  std::string span_text;             // --span-text
};

PositionChoice position_from_args(Args& args) {
  PositionChoice c;
  const std::string position = args.get("position", "last");
  if (position == "last" || position == "span-end") {
    c.mode = position;
  } else {
    char* end = nullptr;
    c.index = std::strtoll(position.c_str(), &end, 10);
    if (position.empty() || *end) {
      fail("command line", "--position must be last, span-end or a token index, got '" + position + "'");
    }
    c.mode = "index";
  }
  if (args.has("span-tokens")) c.span_tokens = args.integers("span-tokens");
  if (args.has("span-text")) c.span_text = args.get("span-text");
  const bool span_given = !c.span_tokens.empty() || !c.span_text.empty();
  if (span_given && c.mode != "span-end") fail("command line", "--span-text/--span-tokens need --position span-end");
  return c;
}

// The patched position in `tokens`; `default_span` is the span text when none
// was given (the data set's first entity).
int64_t resolve_position(const PositionChoice& c, const Model& model, const std::vector<int64_t>& tokens,
                         const std::string& default_span, const std::string& where) {
  if (c.mode == "last") return -1;
  if (c.mode == "index") return c.index;
  if (!c.span_tokens.empty()) {
    const int64_t end = probes::span_end(tokens, c.span_tokens);
    if (end < 0) fail(where, "--span-tokens do not occur in the prompt");
    return end;
  }
  const std::string text = c.span_text.empty() ? default_span : c.span_text;
  if (text.empty()) fail("command line", "--position span-end needs --span-text or --span-tokens");
  if (!model.tokenizer()) fail(model.dir(), "the model folder has no tokenizer; use --span-tokens");
  // Inside a prompt a word usually carries its leading space ("Imagine" -> " Imagine").
  for (const std::string& variant : {" " + text, text}) {
    const int64_t end = probes::span_end(tokens, model.tokenizer()->encode(variant));
    if (end >= 0) return end;
  }
  fail(where, "the span '" + text + "' does not occur in the prompt's tokens");
}

int run_dataset(Args& args, const Model& model) {
  const std::string path = args.get("dataset");
  const std::string out = args.get("out");
  const int generate = static_cast<int>(args.integer("generate", 10));
  const PositionChoice position = position_from_args(args);
  const bool special = args.flag("add-special-tokens");
  args.finish();
  if (!model.tokenizer()) fail(model.dir(), "--dataset needs a model folder with a tokenizer");

  const std::vector<datasets::TwoHopQuery> rows = datasets::load_two_hop_csv(path);
  std::vector<probes::BackpatchQuery> queries;
  for (const auto& row : rows) {
    probes::BackpatchQuery q;
    q.label = "row " + std::to_string(row.row) + ": " + row.prompt;
    q.tokens = model.tokenizer()->encode(row.prompt, special);
    q.position = resolve_position(position, model, q.tokens, row.e1_label, path + ": row " + std::to_string(row.row));
    q.answers = row.answers();
    queries.push_back(std::move(q));
  }
  Progress progress;
  const probes::BackpatchDatasetResult result = probes::backpatch_dataset(model, queries, generate, progress);

  nlohmann::json params = {{"dataset", path}, {"generate", generate}, {"position", args.get("position", "last")},
                           {"add_special_tokens", special}};
  if (!position.span_text.empty()) params["span_text"] = position.span_text;
  write_plots_to(out, probes::to_plots(result), "backpatch", params.dump(), model);
  int counts[2] = {0, 0}, fixed[2] = {0, 0};
  for (const auto& row : result.rows) {
    ++counts[row.originally_correct];
    fixed[row.originally_correct] += row.fixed();
  }
  std::cout << nlohmann::json({{"out", out},
                               {"queries", result.rows.size()},
                               {"originally_correct", counts[1]},
                               {"originally_correct_with_some_patch", fixed[1]},
                               {"originally_incorrect", counts[0]},
                               {"originally_incorrect_fixed_by_some_patch", fixed[0]}})
                   .dump(2)
            << "\n";
  return 0;
}

int probe_backpatch(Args& args) {
  auto model = load_model_from_args(args);
  if (args.has("dataset")) return run_dataset(args, *model);
  const std::vector<int64_t> tokens = tokens_from_args(args, *model);
  const std::string out = args.get("out");
  const std::optional<int64_t> target = target_from_args(args, *model);
  const PositionChoice position = position_from_args(args);
  probes::BackpatchParams params;
  params.tokens = tokens;
  params.target = target.value_or(-1);
  params.generate = static_cast<int>(args.integer("generate", 0));
  if (args.has("answers")) params.answers = args.strings("answers");
  args.finish();
  if (!target && params.generate == 0) fail("command line", "give --target/--target-text, --generate N, or both");
  params.position = resolve_position(position, *model, tokens, "", "command line");

  Progress progress;
  const probes::BackpatchResult result = probes::backpatch(*model, params, progress);
  const nlohmann::json recorded = {{"tokens", tokens},     {"position", result.position}, {"target", params.target},
                                   {"generate", params.generate}, {"answers", params.answers}};
  write_plots_to(out, probes::to_plots(result), "backpatch", recorded.dump(), *model);

  nlohmann::json summary = {{"out", out}, {"position", result.position}};
  if (params.target >= 0) {
    summary["clean_target_prob"] = result.clean_prob;
    summary["best_patch_target_prob"] = result.target_prob.nan_to_num(-1).max().item<double>();
  }
  if (params.generate > 0) summary["clean_generation"] = result.clean_generation;
  if (!params.answers.empty()) {
    summary["clean_correct"] = result.clean_correct;
    summary["successful_cells"] = result.success.nan_to_num(0).sum().item<double>();
  }
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe backpatch",
     "--model DIR (--prompt S | --tokens 1,2,3) (--target ID | --target-text S) [--generate N --answers a,b,c] "
     "[--position last|N|span-end [--span-text S | --span-tokens 1,2]] --out F.h5 | "
     "--model DIR --dataset F.csv [--generate N (10)] [--position last|N|span-end] --out F.h5",
     &probe_backpatch});

}  // namespace
}  // namespace glassbox::cli
