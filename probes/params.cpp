#include "probes/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "core/model.h"
#include "core/tokenizer.h"

namespace glassbox::probes {

namespace {

ParamSpec make(ParamType type, std::string name, std::string label, std::string help) {
  ParamSpec s;
  s.type = type;
  s.name = std::move(name);
  s.label = std::move(label);
  s.help = std::move(help);
  return s;
}

std::string trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// A whole decimal integer, or nullopt.
std::optional<int64_t> whole_number(const std::string& text) {
  const std::string s = trimmed(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || errno == ERANGE) return std::nullopt;
  return v;
}

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// "L:I" -> (L, I), both whole non-negative numbers.
std::pair<int64_t, int64_t> layer_index(const std::string& item, const std::string& what, const std::string& where) {
  const std::string s = trimmed(item);
  const size_t colon = s.find(':');
  const auto layer = colon == std::string::npos ? std::nullopt : whole_number(s.substr(0, colon));
  const auto index = colon == std::string::npos ? std::nullopt : whole_number(s.substr(colon + 1));
  if (!layer || !index || *layer < 0 || *index < 0)
    fail(where, "'" + s + "' is not " + what + " (LAYER:INDEX, e.g. 3:7)");
  return {*layer, *index};
}

std::vector<std::string> comma_items(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!trimmed(item).empty()) items.push_back(item);
  }
  return items;
}

}  // namespace

ParamSpec ParamSpec::integer(std::string name, std::string label, int64_t value, int64_t min, int64_t max,
                             std::string help) {
  ParamSpec s = make(ParamType::integer, std::move(name), std::move(label), std::move(help));
  s.value = static_cast<double>(value);
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  return s;
}

ParamSpec ParamSpec::real(std::string name, std::string label, double value, double min, double max,
                          std::string help) {
  ParamSpec s = make(ParamType::real, std::move(name), std::move(label), std::move(help));
  s.value = value;
  s.min = min;
  s.max = max;
  return s;
}

ParamSpec ParamSpec::boolean(std::string name, std::string label, bool value, std::string help) {
  ParamSpec s = make(ParamType::boolean, std::move(name), std::move(label), std::move(help));
  s.value = value ? 1 : 0;
  s.max = 1;
  return s;
}

ParamSpec ParamSpec::choice(std::string name, std::string label, std::vector<std::string> choices,
                            std::string help) {
  ParamSpec s = make(ParamType::choice, std::move(name), std::move(label), std::move(help));
  s.text = choices.empty() ? std::string() : choices.front();
  s.choices = std::move(choices);
  return s;
}

ParamSpec ParamSpec::of(ParamType type, std::string name, std::string label, std::string default_text,
                        std::string help, bool required) {
  ParamSpec s = make(type, std::move(name), std::move(label), std::move(help));
  s.text = std::move(default_text);
  s.required = required;
  return s;
}

ParamSpec ParamSpec::position(std::string name, std::string label, int64_t n_ctx, std::string help) {
  ParamSpec s = make(ParamType::position, std::move(name), std::move(label), std::move(help));
  s.value = -1;
  s.min = -static_cast<double>(std::max<int64_t>(n_ctx, 1));
  s.max = static_cast<double>(std::max<int64_t>(n_ctx, 1) - 1);
  return s;
}

std::string ParamSpec::flag() const {
  std::string f = "--" + name;
  for (char& c : f) c = c == '_' ? '-' : c;
  return f;
}

bool ParamSpec::numeric() const {
  return type == ParamType::integer || type == ParamType::real || type == ParamType::boolean ||
         type == ParamType::position;
}

std::string ParamSpec::default_input() const {
  if (type == ParamType::boolean) return value != 0 ? "true" : "false";
  if (numeric()) return number_text(std::clamp(value, min, max));  // ranges can depend on the model
  return text;
}

std::string ParamSpec::declared_default() const {
  if (type == ParamType::boolean) return value != 0 ? "true" : "false";
  return numeric() ? number_text(value) : text;
}

std::string ParamSpec::type_name() const {
  switch (type) {
    case ParamType::integer: return "integer";
    case ParamType::real: return "number";
    case ParamType::boolean: return "true|false";
    case ParamType::choice: {
      std::string s;
      for (const std::string& c : choices) s += (s.empty() ? "" : "|") + c;
      return s;
    }
    case ParamType::text: return "text";
    case ParamType::position: return "last|N";
    case ParamType::token: return "token id (or " + flag() + "-text S)";
    case ParamType::head: return "L:H";
    case ParamType::heads: return "L:H,...";
    case ParamType::neurons: return "L:N,...";
    case ParamType::text_list: return "a,b,...";
    case ParamType::file: return "path";
  }
  return {};
}

const nlohmann::json& ParamValues::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) fail("analysis parameters", "no parameter '" + name + "'");
  return *it;
}

int64_t ParamValues::integer(const std::string& name) const { return at(name).get<int64_t>(); }
double ParamValues::real(const std::string& name) const { return at(name).get<double>(); }
bool ParamValues::flag(const std::string& name) const { return at(name).get<bool>(); }
std::string ParamValues::text(const std::string& name) const { return at(name).get<std::string>(); }

std::optional<int64_t> ParamValues::token(const std::string& name) const {
  const nlohmann::json& v = at(name);
  if (v.is_null()) return std::nullopt;
  return v.get<int64_t>();
}

std::optional<HeadRef> ParamValues::head(const std::string& name) const {
  const nlohmann::json& v = at(name);
  if (v.is_null()) return std::nullopt;
  return HeadRef{v[0].get<int>(), v[1].get<int>()};
}

std::vector<HeadRef> ParamValues::heads(const std::string& name) const {
  std::vector<HeadRef> out;
  for (const auto& v : at(name)) out.push_back({v[0].get<int>(), v[1].get<int>()});
  return out;
}

std::vector<NeuronRef> ParamValues::neurons(const std::string& name) const {
  std::vector<NeuronRef> out;
  for (const auto& v : at(name)) out.push_back({v[0].get<int>(), v[1].get<int64_t>()});
  return out;
}

std::vector<std::string> ParamValues::texts(const std::string& name) const {
  return at(name).get<std::vector<std::string>>();
}

std::vector<int64_t> parse_token_ids(const std::string& text, int64_t vocab, const std::string& where) {
  std::string spaced = text;
  for (char& c : spaced) c = c == ',' ? ' ' : c;
  std::istringstream in(spaced);
  std::vector<int64_t> ids;
  std::string item;
  while (in >> item) {
    const auto id = whole_number(item);
    if (!id) fail(where, "'" + item + "' is not a token id");
    if (*id < 0 || *id >= vocab)
      fail(where, "token id " + item + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    ids.push_back(*id);
  }
  return ids;
}

int64_t parse_token(const std::string& text, bool token_text, const Model& model, const std::string& where) {
  if (!token_text) {
    const auto id = whole_number(text);
    if (!id) fail(where, "'" + text + "' is not a token id");
    if (*id < 0 || *id >= model.info().d_vocab)
      fail(where, "token id " + text + " is outside the vocabulary [0, " + std::to_string(model.info().d_vocab) + ")");
    return *id;
  }
  if (!model.tokenizer()) fail(where, "the model has no tokenizer; give a token id");
  const std::vector<int64_t> ids = model.tokenizer()->encode(text, false);
  if (ids.size() != 1)
    fail(where, "'" + text + "' is " + std::to_string(ids.size()) +
                    " tokens; give text that is exactly one token (mind the leading space) or a token id");
  return ids.front();
}

HeadRef parse_head(const std::string& text, const ModelInfo& info, const std::string& where) {
  const auto [layer, head] = layer_index(text, "a head", where);
  if (layer >= info.n_layers || head >= info.n_heads)
    fail(where, "head " + trimmed(text) + " is outside the model's " + std::to_string(info.n_layers) + " layers x " +
                    std::to_string(info.n_heads) + " heads");
  return {static_cast<int>(layer), static_cast<int>(head)};
}

std::vector<HeadRef> parse_heads(const std::string& text, const ModelInfo& info, const std::string& where) {
  std::vector<HeadRef> heads;
  for (const std::string& item : comma_items(text)) heads.push_back(parse_head(item, info, where));
  return heads;
}

std::vector<NeuronRef> parse_neurons(const std::string& text, const ModelInfo& info, const std::string& where) {
  std::vector<NeuronRef> neurons;
  for (const std::string& item : comma_items(text)) {
    const auto [layer, neuron] = layer_index(item, "a neuron", where);
    if (layer >= info.n_layers)
      fail(where, "neuron " + trimmed(item) + ": layer outside [0, " + std::to_string(info.n_layers) + ")");
    if (neuron >= info.d_mlp)
      fail(where, "neuron " + trimmed(item) + ": index outside the MLP's [0, " + std::to_string(info.d_mlp) + ")");
    neurons.push_back({static_cast<int>(layer), neuron});
  }
  return neurons;
}

int64_t parse_position(const std::string& text, const std::string& where) {
  if (trimmed(text) == "last") return -1;
  const auto p = whole_number(text);
  if (!p) fail(where, "must be last or a token position, got '" + text + "'");
  return *p;
}

std::vector<std::string> parse_list(const std::string& text) {
  std::vector<std::string> items;
  for (const std::string& item : comma_items(text)) items.push_back(trimmed(item));
  return items;
}

int64_t absolute_position(int64_t position, size_t n_tokens, const std::string& where) {
  const int64_t n = static_cast<int64_t>(n_tokens);
  const int64_t p = position < 0 ? n + position : position;
  if (p < 0 || p >= n)
    fail(where, "position " + std::to_string(position) + " is outside the prompt's " + std::to_string(n) + " tokens");
  return p;
}

std::string head_label(const HeadRef& head) {
  return "L" + std::to_string(head.layer) + "H" + std::to_string(head.head);
}

ParamValues parse_params(const std::vector<ParamSpec>& specs, const ParamInputs& inputs, const Model& model,
                         Front front) {
  const ModelInfo& info = model.info();
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, input] : inputs) {
    bool known = false;
    for (const ParamSpec& s : specs) known = known || s.name == name;
    if (!known) fail("analysis parameters", "no parameter '" + name + "'");
  }
  for (const ParamSpec& spec : specs) {
    const auto given = inputs.find(spec.name);
    const ParamInput input = given != inputs.end() ? given->second : ParamInput{spec.default_input()};
    const std::string where = front == Front::cli ? "command line" : spec.label;
    const std::string who = front == Front::cli ? spec.flag() + " " : std::string();
    const std::string text = trimmed(input.text);
    auto in_range = [&](double v) {
      if (v < spec.min || v > spec.max)
        fail(where, who + "must lie in [" + number_text(spec.min) + ", " + number_text(spec.max) + "], got " + text);
    };
    nlohmann::json& v = values[spec.name];
    switch (spec.type) {
      case ParamType::integer: {
        const auto n = whole_number(text);
        if (!n) fail(where, who + "must be an integer, got '" + text + "'");
        in_range(static_cast<double>(*n));
        v = *n;
        break;
      }
      case ParamType::real: {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (text.empty() || *end || !std::isfinite(x)) fail(where, who + "must be a number, got '" + text + "'");
        in_range(x);
        v = x;
        break;
      }
      case ParamType::boolean:
        if (text != "true" && text != "false" && text != "1" && text != "0")
          fail(where, who + "must be true or false, got '" + text + "'");
        v = text == "true" || text == "1";
        break;
      case ParamType::position: {
        const int64_t p = parse_position(text, where + (front == Front::cli ? ": " + spec.flag() : std::string()));
        in_range(static_cast<double>(p));
        v = p;
        break;
      }
      case ParamType::choice: {
        bool ok = false;
        for (const std::string& c : spec.choices) ok = ok || c == text;
        if (!ok) fail(where, who + "must be one of " + spec.type_name() + ", got '" + text + "'");
        v = text;
        break;
      }
      default: {
        if (text.empty() && spec.required) fail(where, who + "is required (" + spec.type_name() + ")");
        const std::string at = front == Front::cli ? "command line: " + spec.flag() : spec.label;
        switch (spec.type) {
          case ParamType::token:
            v = text.empty() ? nlohmann::json(nullptr)
                             : nlohmann::json(parse_token(input.text, input.token_text, model, at));
            break;
          case ParamType::head:
            if (text.empty()) {
              v = nullptr;
            } else {
              const HeadRef h = parse_head(text, info, at);
              v = {h.layer, h.head};
            }
            break;
          case ParamType::heads:
            v = nlohmann::json::array();
            for (const HeadRef& h : parse_heads(text, info, at)) v.push_back({h.layer, h.head});
            break;
          case ParamType::neurons:
            v = nlohmann::json::array();
            for (const NeuronRef& n : parse_neurons(text, info, at)) v.push_back({n.layer, n.neuron});
            break;
          case ParamType::text_list: v = parse_list(text); break;
          default: v = input.text; break;  // text and file keep what was typed
        }
      }
    }
  }
  return ParamValues(std::move(values));
}

std::string inputs_json(const ParamInputs& inputs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, input] : inputs) out[name] = {{"text", input.text}, {"token_text", input.token_text}};
  return out.dump();
}

ParamInputs parse_inputs_json(const std::string& json, const std::string& where) {
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) fail(where, "the parameter inputs are not a JSON object");
  ParamInputs inputs;
  for (const auto& [name, input] : parsed.items()) {
    if (!input.is_object() || !input.contains("text") || !input["text"].is_string() ||
        (input.contains("token_text") && !input["token_text"].is_boolean()))
      fail(where, "parameter input '" + name + "' is not {\"text\": string, \"token_text\": bool}");
    inputs[name] = {input["text"].get<std::string>(), input.value("token_text", false)};
  }
  return inputs;
}

}  // namespace glassbox::probes
