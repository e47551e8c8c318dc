#include "app/cli/cli.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "core/error.h"
#include "core/h5.h"
#include "core/tokenizer.h"
#include "probes/params.h"

namespace glassbox::cli {

Args::Args(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string key = a.substr(2);
    if (options_.count(key)) fail("command line", "option --" + key + " given twice");
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      options_[key] = std::string(argv[++i]);
    } else {
      options_[key] = std::nullopt;
    }
  }
}

bool Args::has(const std::string& key) const {
  used_[key] = true;
  return options_.count(key) > 0;
}

std::string Args::get(const std::string& key) const {
  used_[key] = true;
  auto it = options_.find(key);
  if (it == options_.end()) fail("command line", "missing --" + key);
  if (!it->second) fail("command line", "--" + key + " needs a value");
  return *it->second;
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
  return has(key) ? get(key) : fallback;
}

int64_t Args::integer(const std::string& key) const {
  std::string v = get(key);
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end) fail("command line", "--" + key + " must be an integer, got '" + v + "'");
  return x;
}

int64_t Args::integer(const std::string& key, int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

double Args::number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  std::string v = get(key);
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end) fail("command line", "--" + key + " must be a number, got '" + v + "'");
  return x;
}

bool Args::flag(const std::string& key) const {
  used_[key] = true;
  auto it = options_.find(key);
  if (it == options_.end()) return false;
  if (it->second) fail("command line", "--" + key + " takes no value");
  return true;
}

bool Args::bare(const std::string& key) const {
  used_[key] = true;
  auto it = options_.find(key);
  return it != options_.end() && !it->second;
}

std::string Args::positional(const std::string& what) {
  if (positional_.empty()) fail("command line", "missing " + what);
  std::string value = positional_.front();
  positional_.erase(positional_.begin());
  return value;
}

std::vector<std::string> Args::positionals(const std::string& what) {
  if (positional_.empty()) fail("command line", "missing " + what);
  return std::exchange(positional_, {});
}

void Args::finish() const {
  if (!positional_.empty())
    fail("command line", "unexpected argument '" + positional_.front() + "' (quote values that contain spaces)");
  for (const auto& [key, value] : options_) {
    if (!used_.count(key)) fail("command line", "unknown option --" + key);
  }
}

static std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

bool register_command(std::string name, std::string usage, std::function<int(Args& args)> run,
                      std::function<std::string(Args& args)> help) {
  registry()[name] = Command{name, std::move(usage), std::move(run), std::move(help)};
  return true;
}

const std::map<std::string, Command>& commands() { return registry(); }

std::unique_ptr<Model> load_model_from_args(Args& args) {
  LoadOptions options;
  options.device = args.get("device", "cpu");
  options.dtype = args.get("dtype", "float32");
  std::unique_ptr<Model> model = load_model(args.get("model"), options);
  if (!model->info().nonfinite_weights.empty())
    std::cerr << "warning: " << nonfinite_weights_message(model->dir(), model->info().nonfinite_weights) << "\n";
  return model;
}

void warn_numerical_fault(const Model& model, const NumericalFault& fault) {
  std::cerr << "warning: " << model.dir() << ": " << fault_message(fault) << "\n";
}

std::vector<int64_t> tokens_from_args(Args& args, const Model& model) {
  if (args.has("tokens") && args.has("prompt")) fail("command line", "give --tokens or --prompt, not both");
  std::vector<int64_t> ids;
  if (args.has("tokens")) {
    ids = probes::parse_token_ids(args.get("tokens"), model.info().d_vocab, "command line: --tokens");
  } else {
    if (!model.tokenizer()) fail(model.dir(), "the model has no tokenizer; use --tokens");
    ids = model.tokenizer()->encode(args.get("prompt"), args.flag("add-special-tokens"));
  }
  if (ids.empty()) fail("command line", "the prompt has no tokens");
  return ids;
}

void write_plots_to(const std::string& path, const std::vector<Plot>& plots, const PlotMeta& meta) {
  h5::Writer file(path);
  write_plots(file, plots, meta);
  file.commit();
}

}  // namespace glassbox::cli
