#pragma once
// Parameters of analyses: how each is declared (ParamSpec), the values after
// parsing (ParamValues), and the one set of rules by which both front ends turn
// what a user typed into values: token ids, a token by id or text, positions,
// heads "L:H", lists of heads and neurons. No Qt and no torch here.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model_info.h"

namespace glassbox {
class Model;
}

namespace glassbox::probes {

struct HeadRef {
  int layer = 0, head = 0;
};
struct NeuronRef {
  int layer = 0;
  int64_t neuron = 0;
};

enum class ParamType {
  integer,
  real,
  boolean,
  choice,
  text,
  position,   // a token position; negative counts from the end (-1 = last); the CLI also takes "last"
  token,      // one token: an id, or text that encodes to exactly one token
  head,       // "L:H"; empty = not given
  heads,      // "L:H,L:H"
  neurons,    // "L:N,L:N"
  text_list,  // "a, b, c"
  file,       // a path
};

struct ParamSpec {
  std::string name;   // the params_json key; the CLI flag is --name with '-' for '_'
  std::string label;  // what the GUI shows
  std::string help;
  ParamType type = ParamType::integer;
  double value = 0, min = 0, max = 0;  // numeric default and range (boolean: 0/1)
  std::string text;                    // default of the text-like types, or the default choice
  std::vector<std::string> choices;
  bool required = false;  // text-like types: an empty value is an error

  static ParamSpec integer(std::string name, std::string label, int64_t value, int64_t min, int64_t max,
                           std::string help);
  static ParamSpec real(std::string name, std::string label, double value, double min, double max,
                        std::string help);
  static ParamSpec boolean(std::string name, std::string label, bool value, std::string help);
  static ParamSpec choice(std::string name, std::string label, std::vector<std::string> choices, std::string help);
  // Text-like types (text, token, head, heads, neurons, text_list, file).
  static ParamSpec of(ParamType type, std::string name, std::string label, std::string default_text,
                      std::string help, bool required = false);
  // A position in the prompt, -1 (the last token) by default; `n_ctx` bounds it.
  static ParamSpec position(std::string name, std::string label, int64_t n_ctx, std::string help);

  std::string flag() const;                // "--top-k"
  std::string default_input() const;       // the default as a user would type it, inside the range
  std::string declared_default() const;    // the default as declared (--help without a model)
  bool numeric() const;                    // integer, real, boolean, position
  std::string type_name() const;           // for --help: "integer", "L:H", ...
};

// What a user typed for one parameter. `token_text`: a token parameter given
// as text (the CLI's --NAME-text, the GUI of a model with a tokenizer), not as an id.
struct ParamInput {
  std::string text;
  bool token_text = false;
};
using ParamInputs = std::map<std::string, ParamInput>;

// Parsed values by parameter name, as a JSON object: what exports record.
// integer/position: int; real: number; boolean: bool; choice, text, file:
// string; token: id or null; head: [layer, head] or null; heads, neurons:
// [[layer, index], ...]; text_list: [string, ...].
class ParamValues {
 public:
  ParamValues() : values_(nlohmann::json::object()) {}
  explicit ParamValues(nlohmann::json values) : values_(std::move(values)) {}

  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool flag(const std::string& name) const;
  std::string text(const std::string& name) const;
  std::optional<int64_t> token(const std::string& name) const;
  std::optional<HeadRef> head(const std::string& name) const;
  std::vector<HeadRef> heads(const std::string& name) const;
  std::vector<NeuronRef> neurons(const std::string& name) const;
  std::vector<std::string> texts(const std::string& name) const;
  const nlohmann::json& json() const { return values_; }

 private:
  const nlohmann::json& at(const std::string& name) const;
  nlohmann::json values_;
};

// Who parses: errors name a parameter by its CLI flag or by its GUI label.
enum class Front { cli, gui };

// Parses every spec's input (missing ones take the default) and checks it
// against its range and the model. Throws Error naming the parameter.
ParamValues parse_params(const std::vector<ParamSpec>& specs, const ParamInputs& inputs, const Model& model,
                         Front front);

// The shared rules, also used for prompts. Each throws Error(`where`, ...).
// "1, 2 3": ids separated by commas or spaces, each in [0, vocab).
std::vector<int64_t> parse_token_ids(const std::string& text, int64_t vocab, const std::string& where);
// One token: `text` is an id, or (token_text) text that must encode to exactly one token.
int64_t parse_token(const std::string& text, bool token_text, const Model& model, const std::string& where);
// "L:H" inside the model.
HeadRef parse_head(const std::string& text, const ModelInfo& info, const std::string& where);
std::vector<HeadRef> parse_heads(const std::string& text, const ModelInfo& info, const std::string& where);
// "L:N,L:N" inside the model's layers and MLP width.
std::vector<NeuronRef> parse_neurons(const std::string& text, const ModelInfo& info, const std::string& where);
// "last" or an integer (negative counts from the end).
int64_t parse_position(const std::string& text, const std::string& where);
// "a, b" -> {"a", "b"} (items trimmed, empty ones dropped).
std::vector<std::string> parse_list(const std::string& text);
// A position made absolute in a prompt of n tokens (negative counts from the end).
int64_t absolute_position(int64_t position, size_t n_tokens, const std::string& where);

std::string head_label(const HeadRef& head);  // "L3H7"

// What the parameters panel held, as sessions store it: {name: {"text": ..., "token_text": bool}}.
std::string inputs_json(const ParamInputs& inputs);
// The inverse; throws Error(`where`, ...) on anything else.
ParamInputs parse_inputs_json(const std::string& json, const std::string& where);

}  // namespace glassbox::probes
