// glassbox-cli probe ID: every analysis of the registry (probes/registry.h),
// with its flags, --help and validation built from its declaration.
#include <chrono>
#include <iostream>
#include <sstream>

#include "app/cli/cli.h"
#include "app/cli/session.h"
#include "core/error.h"
#include "core/h5.h"
#include "core/memory_budget.h"
#include "core/sha256.h"
#include "probes/edits.h"
#include "probes/registry.h"

namespace glassbox::cli {
namespace {

using probes::Analysis;
using probes::Need;
using probes::ParamSpec;
using probes::ParamType;

std::string input_usage(const Analysis& a) {
  std::string s = "--model PATH";
  const std::string prompt = "(--prompt S | --tokens 1,2,3) [--add-special-tokens]";
  if (a.needs.prompt == Need::required && a.needs.dataset == Need::optional) {
    s += " (" + prompt + " | --dataset F.csv [--shard i/n])";
    return s;
  }
  if (a.needs.prompt == Need::required) s += " " + prompt;
  if (a.needs.prompt == Need::optional) s += " [" + prompt + "]";
  if (a.needs.dataset == Need::required) s += " --dataset F.csv [--shard i/n] [--add-special-tokens]";
  return s;
}

std::string usage(const Analysis& a) {
  std::string s = input_usage(a);
  for (const ParamSpec& spec : a.params(ModelInfo{})) {
    const std::string flag = spec.type == ParamType::boolean ? "[" + spec.flag() + " | --no-" + spec.flag().substr(2) + "]"
                                                             : "[" + spec.flag() + " " + spec.type_name() + "]";
    s += " " + (spec.required ? flag.substr(1, flag.size() - 2) : flag);
  }
  return s + " [--edits F.json] [--memory-budget 25%|SIZE] [--dry-run] (--out F.h5 | --session F.gbx)";
}

std::string help(const Analysis& a, Args& args) {
  // With --model the ranges are the model's.
  const bool with_model = args.has("model");
  ModelInfo info;
  if (with_model) info = load_model_from_args(args)->info();
  std::ostringstream out;
  out << "usage: glassbox-cli probe " << a.id << " " << usage(a) << "\n\n"
      << a.title << ": " << a.description << "\n\noptions:\n";
  for (const ParamSpec& spec : a.params(info)) {
    out << "  " << spec.flag() << " " << spec.type_name() << "\n      " << spec.help;
    if (spec.required) {
      out << " Required.";
    } else if (const std::string d = with_model ? spec.default_input() : spec.declared_default(); !d.empty()) {
      out << " Default: " << (spec.type == ParamType::position && d == "-1" ? std::string("last") : d) << ".";
    }
    if (with_model && (spec.type == ParamType::integer || spec.type == ParamType::real))
      out << " Range: [" << spec.min << ", " << spec.max << "].";
    out << "\n";
  }
  if (a.needs.dataset != Need::none)
    out << "  --dataset F.csv\n      " << probes::dataset_description(a.needs.dataset_kind) << "; "
        << (a.needs.dataset == Need::required ? "required" : "runs over its rows instead of the prompt") << ".\n"
        << "  --shard i/n\n      Run on block i of n of the data set's rows (i from 0, as Slurm's SLURM_ARRAY_TASK_ID "
           "of --array=0-(n-1)) and write, with --out, a part that `glassbox-cli merge` combines with the others into "
           "exactly the unsharded run.\n";
  out << "  --out F.h5\n      Where the plots are written (HDF5, the plot-export layout).\n"
      << "  --edits F.json\n      Run under these active edits (ablations, steering vectors; docs/file-formats.md#edits); "
         "the run records them.\n"
      << "  --session F.gbx\n      Also (or instead) append this run to a session, created if missing; it opens in "
         "the GUI.\n"
      << "  --memory-budget 25%|SIZE\n      Refuse to run when the activations it keeps would exceed this (a share "
         "of RAM or a size such as 6G). Default: 25%.\n"
      << "  --dry-run\n      Print what it would keep (JSON) and run nothing.\n";
  if (!with_model) out << "\nGive --model PATH with --help to see the ranges for that model.\n";
  return out.str();
}

// What the user typed for each parameter: --name VALUE; booleans also bare
// --name and --no-name; tokens --name ID or --name-text TEXT.
probes::ParamInputs param_inputs(const std::vector<ParamSpec>& specs, Args& args) {
  probes::ParamInputs inputs;
  for (const ParamSpec& spec : specs) {
    const std::string key = spec.flag().substr(2);
    if (spec.type == ParamType::boolean) {
      if (args.has(key) && args.has("no-" + key)) fail("command line", "give --" + key + " or --no-" + key + ", not both");
      if (args.has("no-" + key)) {
        if (!args.bare("no-" + key)) fail("command line", "--no-" + key + " takes no value");
        inputs[spec.name] = {"false"};
      } else if (args.has(key)) {
        inputs[spec.name] = {args.bare(key) ? "true" : args.get(key)};
      }
      continue;
    }
    if (spec.type == ParamType::token && args.has(key + "-text")) {
      if (args.has(key)) fail("command line", "give --" + key + " or --" + key + "-text, not both");
      inputs[spec.name] = {args.get(key + "-text"), true};
      continue;
    }
    if (args.has(key)) inputs[spec.name] = {args.get(key)};
  }
  return inputs;
}

int run_probe(const Analysis& a, Args& args) {
  auto model = load_model_from_args(args);
  if (!probes::applies(a, model->info()))
    fail(model->dir(), "probe " + a.id + " needs " +
                           (a.needs.transformer ? std::string("a transformer") : std::string("a glassbox_mlp model")) +
                           "; this is a " + model->info().family + " model");
  probes::AnalysisInputs inputs;
  if (a.needs.prompt == Need::none && (args.has("prompt") || args.has("tokens")))
    fail("command line", "probe " + a.id + " takes no prompt");
  if (a.needs.dataset != Need::none && (a.needs.dataset == Need::required || args.has("dataset")))
    inputs.dataset = args.get("dataset");
  const bool sharded = a.needs.dataset != Need::none && args.has("shard");
  if (sharded) {
    inputs.shard = probes::parse_shard(args.get("shard"), "command line: --shard");
    if (inputs.dataset.empty()) fail("command line", "--shard splits a data set's rows: give --dataset");
    if (args.has("prompt") || args.has("tokens"))
      fail("command line", "--shard runs on the data set's rows: give no prompt");
    if (args.has("session") || !args.has("out"))
      fail("command line", "--shard writes a part for `glassbox-cli merge`: give --out F.h5 (merge makes the session)");
  }
  if (a.needs.prompt != Need::none &&
      (probes::needs_prompt(a, !inputs.dataset.empty()) || args.has("prompt") || args.has("tokens")))
    inputs.tokens = tokens_from_args(args, *model);
  inputs.add_special_tokens = args.flag("add-special-tokens");
  if (args.has("edits")) inputs.edits = probes::enabled_edits(probes::read_edits_file(args.get("edits")));
  const std::vector<ParamSpec> specs = a.params(model->info());
  const probes::ParamInputs typed = param_inputs(specs, args);
  const std::string prompt = args.get("prompt", "");  // empty with --tokens
  const std::string session = args.get("session", "");
  const std::string out = session.empty() || args.has("out") ? args.get("out") : "";
  const std::string device = args.get("device", "cpu"), dtype = args.get("dtype", "float32");
  const bool dry_run = args.flag("dry-run");
  const std::string budget_text = args.get("memory-budget", kDefaultMemoryBudget);
  args.finish();
  probes::check_inputs(a, inputs, "command line");
  const probes::ParamValues values = probes::parse_params(specs, typed, *model, probes::Front::cli);

  const int64_t T = static_cast<int64_t>(inputs.tokens.size());
  const int64_t held = probes::analysis_memory_bytes(a, model->info(), values, T);
  const int64_t budget = parse_memory_budget(budget_text, "--memory-budget");
  const std::string estimate = a.id + " on " + std::to_string(T) + " tokens keeps about " + binary_size(held) +
                               " of activations and logits";
  if (dry_run) {
    std::cout << nlohmann::json{{"analysis", a.id}, {"tokens", T}, {"held_bytes", held}, {"budget_bytes", budget},
                                {"fits", held <= budget}, {"summary", estimate}}
                     .dump(2)
              << "\n";
    return 0;
  }
  if (held > budget)
    fail("command line", estimate + ", above the memory budget of " + binary_size(budget) + " (--memory-budget " +
                             budget_text + "); shorten the prompt or raise --memory-budget");

  const std::string started = utc_timestamp();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Edit> edits = probes::resolve_edits(*model, inputs.edits, Progress{});
  if (sharded) {
    probes::ShardRecord part;
    part.rows = probes::dataset_rows_with_edits(a, *model, inputs, values, edits, Progress{});
    part.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    probes::AnalysisOutput output = a.from_rows(part.rows, values);
    part.shard = inputs.shard;
    part.analysis = a.id;
    part.params_json = probes::params_json(inputs, values);
    part.inputs_json = probes::inputs_json(typed);
    part.edits_json = probes::edits_to_json(inputs.edits).dump();
    part.model = model->dir();
    part.model_identity = describe_model(model->dir(), model->info(), device, dtype);
    part.dataset = inputs.dataset;
    part.dataset_sha256 = sha256_file(inputs.dataset);
    part.started_utc = started;
    h5::Writer file(out);
    write_plots(file, output.plots, PlotMeta{a.id, part.params_json, part.model});
    probes::write_shard(file, part);
    file.commit();
    output.summary["out"] = out;
    output.summary["shard"] = inputs.shard.text();
    std::cout << output.summary.dump(2) << "\n";
    return 0;
  }
  probes::AnalysisOutput output = probes::run_with_edits(a, *model, inputs, values, edits, Progress{});
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  if (output.numerical_fault) {
    warn_numerical_fault(*model, *output.numerical_fault);
    output.summary["numerical_fault"] = fault_json(*output.numerical_fault);
  }
  const PlotMeta meta{a.id, probes::params_json(inputs, values), model->dir(), prompt, inputs.tokens};
  if (!out.empty()) {
    write_plots_to(out, output.plots, meta);
    output.summary["out"] = out;
  }
  if (!session.empty()) {
    SessionRun run;
    run.analysis = a.id;
    run.params_json = meta.params_json;
    run.inputs_json = probes::inputs_json(typed);
    run.dataset = inputs.dataset;
    run.edits_json = probes::edits_to_json(inputs.edits).dump();
    run.plots = std::move(output.plots);
    run.started_utc = started;
    run.seconds = seconds.count();
    const SessionPrompt used{prompt, inputs.add_special_tokens, inputs.tokens, model->token_strings(inputs.tokens)};
    record_in_session(
        session, model->dir(), [&] { return describe_model(model->dir(), model->info(), device, dtype); },
        std::move(run), inputs.tokens.empty() ? nullptr : &used);
    output.summary["session"] = session;
  }
  std::cout << output.summary.dump(2) << "\n";
  return 0;
}

const bool registered = [] {
  for (const Analysis& a : probes::analyses()) {
    register_command("probe " + a.id, usage(a), [&a](Args& args) { return run_probe(a, args); },
                      [&a](Args& args) { return help(a, args); });
  }
  return true;
}();

}  // namespace
}  // namespace glassbox::cli
