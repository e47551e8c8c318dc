#pragma once
// The command line. Subcommands live in app/cli/*.cpp and register
// themselves; every analysis of the registry is `glassbox-cli probe ID`
// (app/cli/probe.cpp).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/numerical_faults.h"
#include "core/plot.h"

namespace glassbox::cli {

// "--key value" and bare "--flag" arguments. Every option must be consumed;
// finish() reports the first unknown one.
class Args {
 public:
  Args(int argc, char** argv, int first);
  bool has(const std::string& key) const;
  std::string get(const std::string& key) const;  // throws Error if missing
  std::string get(const std::string& key, const std::string& fallback) const;
  int64_t integer(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key) const;  // a bare --flag
  bool bare(const std::string& key) const;  // given without a value
  // The next positional argument (a file name); throws Error "missing <what>".
  std::string positional(const std::string& what);
  // Every positional argument left (file names), at least one; throws Error "missing <what>".
  std::vector<std::string> positionals(const std::string& what);
  void finish() const;  // throws Error naming an option nobody asked for, or a stray argument

 private:
  std::map<std::string, std::optional<std::string>> options_;
  std::vector<std::string> positional_;
  mutable std::map<std::string, bool> used_;
};

struct Command {
  std::string name;   // "run", "train", "probe contributions", ...
  std::string usage;  // one line of flags for the command list
  std::function<int(Args& args)> run;
  std::function<std::string(Args& args)> help;  // --help; default: the usage line
};
// Returns true; call as `static const bool registered = register_command(...);`.
bool register_command(std::string name, std::string usage, std::function<int(Args& args)> run,
                      std::function<std::string(Args& args)> help = {});
const std::map<std::string, Command>& commands();

// Shared pieces of subcommands.
// --model DIR [--device] [--dtype] (--threads N is handled for every command); warns on
// stderr of weights that hold NaN or Inf.
std::unique_ptr<Model> load_model_from_args(Args& args);
// "warning: <model>: NaN in the activations, first at <hook>" on stderr.
void warn_numerical_fault(const Model& model, const NumericalFault& fault);
// --tokens 1,2,3 (as given) or --prompt S (tokenized; --add-special-tokens applies the template)
std::vector<int64_t> tokens_from_args(Args& args, const Model& model);
// Writes plots in the plot-export layout (docs/file-formats.md) to `path` with provenance.
void write_plots_to(const std::string& path, const std::vector<Plot>& plots, const PlotMeta& meta);

}  // namespace glassbox::cli
