#pragma once
// The table of analyses the GUI offers. Each entry names itself, declares its
// parameters (built into widgets by the parameters panel) and computes a list of
// Plots from a model and a prompt off the GUI thread. No Qt and no torch here:
// the analyses themselves live in gui_analyses_*.cpp.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/plot.h"
#include "core/progress.h"

namespace glassbox {
class Model;
}

namespace glassbox::gui {

// What the GUI shows about a loaded model (plain data, safe to copy to the GUI thread).
struct ModelSummary {
  std::string dir, family, model_type, norm, act, positional, weights_dtype, device, dtype;
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, d_model = 0, d_head = 0, d_mlp = 0, rotary_dim = 0;
  int64_t d_vocab = 0, n_ctx = 0, n_params = 0;
  bool parallel_residual = false, gated_mlp = false, tied_embeddings = false;
  bool transformer = false, has_tokenizer = false;
  std::vector<std::string> hook_names;
};

// A tokenized prompt: ids as the model sees them, their display strings, and
// which ones the template added (BOS/EOS).
struct Prompt {
  std::string text;
  std::vector<int64_t> ids;
  std::vector<std::string> strings;  // decoded pieces
  std::vector<std::string> labels;   // readable forms for chips and axes ("␣the")
  std::vector<bool> special;
};

struct ParamSpec {
  enum class Type { integer, real, boolean, choice, text };
  std::string key, label, help;
  Type type = Type::integer;
  double value = 0, min = 0, max = 0;  // integer/real/boolean default and range
  std::string text;                    // text default, or the default choice
  std::vector<std::string> choices;

  static ParamSpec integer(std::string key, std::string label, int value, int min, int max, std::string help = {});
  static ParamSpec real(std::string key, std::string label, double value, double min, double max,
                        std::string help = {});
  static ParamSpec boolean(std::string key, std::string label, bool value, std::string help = {});
  static ParamSpec choice(std::string key, std::string label, std::vector<std::string> choices,
                          std::string help = {});
  static ParamSpec line(std::string key, std::string label, std::string value, std::string help = {});
};

// Values by key: numbers for integer/real/boolean, texts for choice/text.
struct ParamValues {
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> texts;

  static ParamValues defaults(const std::vector<ParamSpec>& specs);
  double number(const std::string& key) const;  // throws Error if absent
  int integer(const std::string& key) const { return static_cast<int>(number(key)); }
  bool flag(const std::string& key) const { return number(key) != 0; }
  const std::string& text(const std::string& key) const;  // throws Error if absent
  std::string json() const;  // params_json of exports
};

struct AnalysisRequest {
  Prompt prompt;
  ParamValues params;
};

struct Analysis {
  std::string id;           // the `probe` attribute of exports, screenshot file names
  std::string name;         // tab title
  std::string description;  // one line above the results
  bool live = false;        // cheap enough to re-run on every prompt or parameter change
  bool needs_prompt = true;
  std::function<bool(const ModelSummary&)> applies;  // whether the model supports it
  std::function<std::vector<ParamSpec>(const ModelSummary&)> params;
  std::function<std::vector<Plot>(const Model&, const AnalysisRequest&, const Progress&)> run;
};

// Every analysis (gui_analyses_*.cpp).
const std::vector<Analysis>& analyses();
std::vector<Analysis> builtin_analyses();
std::vector<Analysis> toy_model_analyses();
std::vector<Analysis> probe_analyses();

}  // namespace glassbox::gui
