// glassbox-cli train modular | two-hop | laundry-list: toy models trained here
// and saved as model folders (config.json, model.safetensors, training.h5,
// TRAINED_WITH.txt).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli.h"
#include "core/error.h"
#include "datasets/laundry_list.h"
#include "datasets/train_modular.h"
#include "datasets/train_transformer.h"
#include "datasets/two_hop.h"

namespace glassbox::cli {
namespace {

std::string format_number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// Progress lines on stderr, one per tenth of the run.
Progress stderr_progress() {
  auto next_tenth = std::make_shared<int>(0);
  Progress progress;
  progress.report = [next_tenth](double fraction, const std::string& message) {
    if (fraction * 10 >= *next_tenth) {
      std::cerr << message << "\n";
      *next_tenth = static_cast<int>(fraction * 10) + 1;
    }
  };
  return progress;
}

// The complete command that reproduces a run (every option explicit).
std::string modular_command(const datasets::ModularTrainConfig& c, int threads, const std::string& out) {
  std::ostringstream cmd;
  cmd << "glassbox-cli train modular --p " << c.data.p << " --op " << datasets::modular_op_name(c.data.op)
      << " --train-frac " << format_number(c.data.train_frac) << " --corrupt " << format_number(c.data.corrupt)
      << " --width " << c.width << " --epochs " << c.epochs << " --lr " << format_number(c.lr) << " --weight-decay "
      << format_number(c.weight_decay) << " --dropout " << format_number(c.dropout)
      << (c.batchnorm ? " --batchnorm" : "") << " --init-scale " << format_number(c.init_scale) << " --seed "
      << c.data.seed << " --init-seed " << c.init_seed << " --log-every " << c.log_every << " --threads " << threads
      << " --out " << out;
  return cmd.str();
}

uint64_t seed_from(Args& args, const std::string& key, uint64_t fallback) {
  int64_t seed = args.integer(key, static_cast<int64_t>(fallback));
  if (seed < 0) fail("command line", "--" + key + " must not be negative");
  return static_cast<uint64_t>(seed);
}

int train_modular(Args& args) {
  datasets::ModularTrainConfig c;
  c.data.p = args.integer("p", c.data.p);
  c.data.op = datasets::parse_modular_op(args.get("op", "add"), "command line: --op");
  c.data.train_frac = args.number("train-frac", c.data.train_frac);
  c.data.corrupt = args.number("corrupt", c.data.corrupt);
  c.data.seed = seed_from(args, "seed", 0);
  c.width = args.integer("width", c.width);
  c.epochs = args.integer("epochs", c.epochs);
  c.lr = args.number("lr", c.lr);
  c.weight_decay = args.number("weight-decay", c.weight_decay);
  c.dropout = args.number("dropout", c.dropout);
  c.batchnorm = args.flag("batchnorm");
  c.init_scale = args.number("init-scale", c.init_scale);
  c.init_seed = seed_from(args, "init-seed", c.data.seed);
  c.log_every = args.integer("log-every", 0);
  c.device = args.get("device", "cpu");
  const int threads = static_cast<int>(args.integer("threads", 0));
  const std::string out = args.get("out");
  args.finish();
  c.validate("command line");
  parse_device(c.device);
  set_threads(threads);

  datasets::ModularTrainResult result = datasets::train_modular(c, stderr_progress());
  datasets::save_modular_model(c, result, out, modular_command(c, threads, out));
  const auto& acc = result.final_accuracy;
  nlohmann::json summary = {{"out", out},
                            {"epochs", c.epochs},
                            {"train_seconds", result.train_seconds},
                            {"seconds_per_epoch", result.train_seconds / double(c.epochs)},
                            {"accuracy",
                             {{"train", acc[0]}, {"train_corrupted", acc[1]}, {"train_clean", acc[2]}, {"test", acc[3]}}}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

// Model and optimiser flags shared by the transformer tasks.
datasets::TransformerTrainConfig transformer_config_from(Args& args, int64_t default_steps) {
  datasets::TransformerTrainConfig c;
  c.n_layers = static_cast<int>(args.integer("layers", c.n_layers));
  c.n_heads = static_cast<int>(args.integer("heads", c.n_heads));
  c.d_model = static_cast<int>(args.integer("d-model", c.d_model));
  c.d_mlp = static_cast<int>(args.integer("d-mlp", 4 * int64_t(c.d_model)));
  c.n_ctx = args.integer("n-ctx", c.n_ctx);
  c.steps = args.integer("steps", default_steps);
  c.batch = args.integer("batch", c.batch);
  c.lr = args.number("lr", c.lr);
  c.weight_decay = args.number("weight-decay", c.weight_decay);
  c.warmup = args.integer("warmup", c.warmup);
  c.seed = seed_from(args, "seed", 0);
  c.log_every = args.integer("log-every", 0);
  c.device = args.get("device", "cpu");
  return c;
}

std::string transformer_flags(const datasets::TransformerTrainConfig& c) {
  std::ostringstream cmd;
  cmd << " --layers " << c.n_layers << " --heads " << c.n_heads << " --d-model " << c.d_model << " --d-mlp "
      << c.d_mlp << " --n-ctx " << c.n_ctx << " --steps " << c.steps << " --batch " << c.batch << " --lr "
      << format_number(c.lr) << " --weight-decay " << format_number(c.weight_decay) << " --warmup " << c.warmup
      << " --seed " << c.seed << " --log-every " << c.log_every;
  return cmd.str();
}

// Trains, saves and prints the per-set accuracies.
void train_and_save(const datasets::PromptTask& task, const datasets::TransformerTrainConfig& c, int threads,
                    const std::string& out, const std::string& command) {
  c.validate("command line");
  parse_device(c.device);
  set_threads(threads);
  datasets::TransformerTrainResult result = datasets::train_transformer(task, c, stderr_progress());
  datasets::save_transformer_model(task, c, result, out, command);
  nlohmann::json accuracy = nlohmann::json::object();
  for (size_t i = 0; i < result.set_names.size(); ++i) accuracy[result.set_names[i]] = result.final_accuracy[i];
  nlohmann::json summary = {{"out", out},
                            {"steps", c.steps},
                            {"train_seconds", result.train_seconds},
                            {"vocab_size", task.vocab.size()},
                            {"accuracy", accuracy}};
  std::cout << summary.dump(2) << "\n";
}

int train_two_hop(Args& args) {
  datasets::TwoHopSpec spec;
  spec.entities = args.integer("entities", spec.entities);
  spec.relations = args.integer("relations", spec.relations);
  spec.heldout = args.number("heldout", spec.heldout);
  spec.seed = seed_from(args, "data-seed", 0);
  datasets::TransformerTrainConfig c = transformer_config_from(args, 3000);
  const int threads = static_cast<int>(args.integer("threads", 0));
  const std::string out = args.get("out");
  args.finish();
  spec.validate("command line");

  const datasets::PromptTask task = datasets::make_two_hop(spec);
  std::ostringstream cmd;
  cmd << "glassbox-cli train two-hop --entities " << spec.entities << " --relations " << spec.relations
      << " --heldout " << format_number(spec.heldout) << " --data-seed " << spec.seed << transformer_flags(c)
      << " --threads " << threads << " --out " << out;
  train_and_save(task, c, threads, out, cmd.str());
  // The queries in the CSV layout the back-patching probe reads.
  for (const datasets::PromptSet& set : task.sets) {
    if (set.name != "one_hop") datasets::write_text_file(out + "/" + set.name + ".csv", datasets::two_hop_csv(task, set.name));
  }
  return 0;
}

int train_laundry_list(Args& args) {
  datasets::LaundryListSpec spec;
  spec.items = args.integer("items", spec.items);
  spec.length = args.integer("length", spec.length);
  spec.train_examples = args.integer("train-examples", spec.train_examples);
  spec.test_examples = args.integer("test-examples", spec.test_examples);
  spec.seed = seed_from(args, "data-seed", 0);
  datasets::TransformerTrainConfig c = transformer_config_from(args, 2000);
  if (!args.has("n-ctx")) c.n_ctx = 2 * spec.length + 3;  // BOS, "list", N items, "got", N-1 items, "missing"
  const int threads = static_cast<int>(args.integer("threads", 0));
  const std::string out = args.get("out");
  args.finish();
  spec.validate("command line");

  const datasets::PromptTask task = datasets::make_laundry_list(spec);
  std::ostringstream cmd;
  cmd << "glassbox-cli train laundry-list --items " << spec.items << " --length " << spec.length
      << " --train-examples " << spec.train_examples << " --test-examples " << spec.test_examples << " --data-seed "
      << spec.seed << transformer_flags(c) << " --threads " << threads << " --out " << out;
  train_and_save(task, c, threads, out, cmd.str());
  return 0;
}

const char* const kTransformerUsage =
    "[--layers L] [--heads H] [--d-model D] [--d-mlp M] [--n-ctx T] [--steps S] [--batch B] [--lr LR] "
    "[--weight-decay WD] [--warmup W] [--seed S] [--data-seed S] [--log-every K] [--threads T] [--device cpu|cuda] "
    "--out DIR";

const bool registered_two_hop = register_command("train two-hop", std::string("[--entities E] [--relations R] [--heldout F] ") + kTransformerUsage, &train_two_hop);
const bool registered_laundry_list = register_command("train laundry-list",
     std::string("[--items K] [--length N] [--train-examples M] [--test-examples M] ") + kTransformerUsage,
     &train_laundry_list);

const bool registered_modular = register_command("train modular",
     "--p P --op add|sub|mul --train-frac F --corrupt XI --width N --epochs E --weight-decay WD [--dropout D] "
     "[--batchnorm] [--lr LR] [--init-scale S] --seed S [--init-seed S] [--log-every K] [--threads T] "
     "[--device cpu|cuda] --out DIR",
     &train_modular);

}  // namespace
}  // namespace glassbox::cli
