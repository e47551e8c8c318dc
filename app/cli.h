#pragma once
// The command line (DESIGN.md §4). Subcommands live in cli_*.cpp and register
// themselves; probes register under `glassbox-cli probe NAME`.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
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
  std::vector<int64_t> integers(const std::string& key) const;        // "1,2,3"
  std::vector<std::string> strings(const std::string& key) const;     // "a,b,c"
  const std::vector<std::string>& positional() const { return positional_; }
  void finish() const;  // throws Error naming an option nobody asked for

 private:
  std::map<std::string, std::optional<std::string>> options_;
  std::vector<std::string> positional_;
  mutable std::map<std::string, bool> used_;
};

struct Command {
  std::string name;     // "run", "train", "probe contributions", ...
  std::string usage;    // one line of flags for --help
  int (*run)(Args& args);
};
// Returns true; call as `static const bool registered = register_command({...});`.
bool register_command(Command command);
const std::map<std::string, Command>& commands();

// Shared pieces of subcommands.
// --model DIR [--device] [--dtype] (--threads N is handled for every command)
std::unique_ptr<Model> load_model_from_args(Args& args);
// --tokens 1,2,3 (as given) or --prompt S (tokenized; --add-special-tokens applies the template)
std::vector<int64_t> tokens_from_args(Args& args, const Model& model);
// Writes plots in the DESIGN.md §3 layout to --out with provenance.
void write_plots_to(const std::string& path, const std::vector<Plot>& plots, const std::string& probe,
                    const std::string& params_json, const Model& model);

}  // namespace glassbox::cli
