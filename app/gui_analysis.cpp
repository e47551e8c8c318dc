#include "app/gui_analysis.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace glassbox::gui {

ParamSpec ParamSpec::integer(std::string key, std::string label, int value, int min, int max, std::string help) {
  ParamSpec s;
  s.key = std::move(key);
  s.label = std::move(label);
  s.help = std::move(help);
  s.type = Type::integer;
  s.value = value;
  s.min = min;
  s.max = max;
  return s;
}

ParamSpec ParamSpec::real(std::string key, std::string label, double value, double min, double max,
                          std::string help) {
  ParamSpec s = integer(std::move(key), std::move(label), 0, 0, 0, std::move(help));
  s.type = Type::real;
  s.value = value;
  s.min = min;
  s.max = max;
  return s;
}

ParamSpec ParamSpec::boolean(std::string key, std::string label, bool value, std::string help) {
  ParamSpec s = integer(std::move(key), std::move(label), value ? 1 : 0, 0, 1, std::move(help));
  s.type = Type::boolean;
  return s;
}

ParamSpec ParamSpec::choice(std::string key, std::string label, std::vector<std::string> choices, std::string help) {
  ParamSpec s = integer(std::move(key), std::move(label), 0, 0, 0, std::move(help));
  s.type = Type::choice;
  s.text = choices.empty() ? std::string() : choices.front();
  s.choices = std::move(choices);
  return s;
}

ParamSpec ParamSpec::line(std::string key, std::string label, std::string value, std::string help) {
  ParamSpec s = integer(std::move(key), std::move(label), 0, 0, 0, std::move(help));
  s.type = Type::text;
  s.text = std::move(value);
  return s;
}

ParamValues ParamValues::defaults(const std::vector<ParamSpec>& specs) {
  ParamValues v;
  for (const ParamSpec& s : specs) {
    if (s.type == ParamSpec::Type::choice || s.type == ParamSpec::Type::text)
      v.texts[s.key] = s.text;
    else
      v.numbers[s.key] = std::clamp(s.value, s.min, s.max);  // ranges can depend on the model
  }
  return v;
}

double ParamValues::number(const std::string& key) const {
  auto it = numbers.find(key);
  if (it == numbers.end()) fail("analysis parameters", "no number '" + key + "'");
  return it->second;
}

const std::string& ParamValues::text(const std::string& key) const {
  auto it = texts.find(key);
  if (it == texts.end()) fail("analysis parameters", "no text '" + key + "'");
  return it->second;
}

std::string ParamValues::json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : numbers) {
    // Layers, heads and counts read as integers in the file.
    if (value == static_cast<double>(static_cast<int64_t>(value)))
      j[key] = static_cast<int64_t>(value);
    else
      j[key] = value;
  }
  for (const auto& [key, value] : texts) j[key] = value;
  return j.dump();
}

const std::vector<Analysis>& analyses() {
  static const std::vector<Analysis> all = [] {
    std::vector<Analysis> list = builtin_analyses();
    for (Analysis& a : probe_analyses()) list.push_back(std::move(a));
    for (Analysis& a : toy_model_analyses()) list.push_back(std::move(a));
    return list;
  }();
  return all;
}

}  // namespace glassbox::gui
