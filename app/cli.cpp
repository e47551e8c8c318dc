#include "app/cli.h"

#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "core/h5.h"
#include "core/tokenizer.h"

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

std::vector<std::string> Args::strings(const std::string& key) const {
  std::vector<std::string> out;
  std::stringstream ss(get(key));
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

std::vector<int64_t> Args::integers(const std::string& key) const {
  std::vector<int64_t> out;
  for (const auto& s : strings(key)) {
    char* end = nullptr;
    long long x = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end) fail("command line", "--" + key + ": '" + s + "' is not an integer");
    out.push_back(x);
  }
  return out;
}

void Args::finish() const {
  for (const auto& [key, value] : options_) {
    if (!used_.count(key)) fail("command line", "unknown option --" + key);
  }
}

static std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

bool register_command(Command command) {
  registry()[command.name] = std::move(command);
  return true;
}

const std::map<std::string, Command>& commands() { return registry(); }

std::unique_ptr<Model> load_model_from_args(Args& args) {
  LoadOptions options;
  options.device = args.get("device", "cpu");
  options.dtype = args.get("dtype", "float32");
  return load_model(args.get("model"), options);
}

std::vector<int64_t> tokens_from_args(Args& args, const Model& model) {
  if (args.has("tokens") && args.has("prompt")) fail("command line", "give --tokens or --prompt, not both");
  std::vector<int64_t> ids;
  if (args.has("tokens")) {
    ids = args.integers("tokens");
  } else {
    if (!model.tokenizer()) fail(model.dir(), "the model folder has no tokenizer; use --tokens");
    ids = model.tokenizer()->encode(args.get("prompt"), args.flag("add-special-tokens"));
  }
  if (ids.empty()) fail("command line", "the prompt has no tokens");
  for (int64_t id : ids) {
    if (id < 0 || id >= model.info().d_vocab) {
      fail("command line", "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                               std::to_string(model.info().d_vocab) + ")");
    }
  }
  return ids;
}

void write_plots_to(const std::string& path, const std::vector<Plot>& plots, const std::string& probe,
                    const std::string& params_json, const Model& model) {
  h5::Writer file(path);
  write_plots(file, plots, PlotMeta{probe, params_json, model.dir()});
  file.commit();
}

}  // namespace glassbox::cli
