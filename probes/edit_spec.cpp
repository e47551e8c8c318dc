#include "probes/edit_spec.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/hooks.h"
#include "core/json.h"

namespace glassbox::probes {

namespace {

const char* const kinds[] = {"zero", "mean", "resample", "steer"};

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::string kind_name(EditSpec::Kind kind) { return kinds[static_cast<int>(kind)]; }

std::string EditSpec::label() const {
  if (kind == Kind::steer) {
    Hook h;
    int layer = 0;
    const bool named = parse_hook_name(hook, &h, &layer) && hook_is_per_layer(h);
    return "steer " + (named ? "L" + std::to_string(layer) : hook) + " ×" + number_text(coefficient);
  }
  std::vector<std::string> targets;
  for (const HeadRef& head : heads) targets.push_back(head_label(head));
  for (const NeuronRef& n : neurons) targets.push_back("L" + std::to_string(n.layer) + "N" + std::to_string(n.neuron));
  std::string text = kind_name(kind);
  if (!targets.empty()) text += " " + targets.front();
  if (targets.size() > 1) text += " +" + std::to_string(targets.size() - 1);
  return text;
}

nlohmann::json edits_to_json(const std::vector<EditSpec>& edits) {
  nlohmann::json list = nlohmann::json::array();
  for (const EditSpec& e : edits) {
    nlohmann::json j = {{"kind", kind_name(e.kind)}, {"enabled", e.enabled}};
    if (e.kind == EditSpec::Kind::steer) {
      j["hook"] = e.hook;
      j["coefficient"] = e.coefficient;
      j["positions"] = e.positions;
      j["vector"] = e.vector;
      j["name"] = e.name;
    } else {
      nlohmann::json heads = nlohmann::json::array(), neurons = nlohmann::json::array();
      for (const HeadRef& h : e.heads) heads.push_back({h.layer, h.head});
      for (const NeuronRef& n : e.neurons) neurons.push_back({n.layer, n.neuron});
      j["heads"] = heads;
      j["neurons"] = neurons;
      if (e.kind != EditSpec::Kind::zero) {
        j["source_tokens"] = e.source_tokens;
        j["source"] = e.source;
      }
    }
    list.push_back(std::move(j));
  }
  return list;
}

std::vector<EditSpec> edits_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_array()) fail(where, "the edits must be a JSON array of objects");
  std::vector<EditSpec> edits;
  for (size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& j = json[i];
    const std::string at = where + ": edit " + std::to_string(i + 1);
    if (!j.is_object()) fail(at, "expected an object");
    if (!j.contains("kind") || !j["kind"].is_string()) fail(at, "needs \"kind\": zero, mean, resample or steer");
    EditSpec e;
    const std::string kind = j["kind"];
    size_t k = 0;
    while (k < 4 && kind != kinds[k]) ++k;
    if (k == 4) fail(at, "unknown kind '" + kind + "' (zero, mean, resample or steer)");
    e.kind = static_cast<EditSpec::Kind>(k);
    const bool steer = e.kind == EditSpec::Kind::steer;
    const std::set<std::string> allowed =
        steer ? std::set<std::string>{"kind", "enabled", "hook", "coefficient", "positions", "vector", "name"}
        : e.kind == EditSpec::Kind::zero ? std::set<std::string>{"kind", "enabled", "heads", "neurons"}
                                         : std::set<std::string>{"kind", "enabled", "heads", "neurons", "source_tokens", "source"};
    for (const auto& item : j.items())
      if (!allowed.count(item.key())) fail(at, "unknown field \"" + item.key() + "\" for a " + kind + " edit");
    try {
      e.enabled = j.value("enabled", true);
      if (steer) {
        e.hook = j.at("hook").get<std::string>();
        e.coefficient = j.value("coefficient", 1.0);
        e.positions = j.value("positions", std::vector<int64_t>{});
        e.vector = j.at("vector").get<std::vector<float>>();
        e.name = j.value("name", std::string());
        if (e.vector.empty()) fail(at, "the steering vector is empty");
        for (float v : e.vector)
          if (!std::isfinite(v)) fail(at, "the steering vector has a value that is not finite");
        if (!std::isfinite(e.coefficient)) fail(at, "the coefficient is not finite");
        Hook h;
        int layer;
        if (!parse_hook_name(e.hook, &h, &layer)) fail(at, "'" + e.hook + "' is not a hook name");
      } else {
        for (const auto& pair : j.value("heads", nlohmann::json::array())) {
          const auto v = pair.get<std::vector<int64_t>>();
          if (v.size() != 2) fail(at, "a head is [layer, head]");
          e.heads.push_back({static_cast<int>(v[0]), static_cast<int>(v[1])});
        }
        for (const auto& pair : j.value("neurons", nlohmann::json::array())) {
          const auto v = pair.get<std::vector<int64_t>>();
          if (v.size() != 2) fail(at, "a neuron is [layer, index]");
          e.neurons.push_back({static_cast<int>(v[0]), v[1]});
        }
        if (e.heads.empty() && e.neurons.empty()) fail(at, "an ablation needs heads or neurons");
        if (e.kind != EditSpec::Kind::zero) {
          e.source_tokens = j.at("source_tokens").get<std::vector<std::vector<int64_t>>>();
          e.source = j.value("source", std::string());
          if (e.source_tokens.empty() || e.source_tokens.front().empty())
            fail(at, "needs source_tokens: the prompt(s) whose activations are used");
          if (e.kind == EditSpec::Kind::resample && e.source_tokens.size() != 1)
            fail(at, "a resample ablation takes its activations from one prompt");
        }
      }
    } catch (const nlohmann::json::exception& ex) {
      fail(at, std::string("malformed: ") + ex.what());
    }
    edits.push_back(std::move(e));
  }
  return edits;
}

std::vector<EditSpec> read_edits_file(const std::string& path) { return edits_from_json(read_json_file(path), path); }

std::vector<EditSpec> enabled_edits(const std::vector<EditSpec>& edits) {
  std::vector<EditSpec> on;
  for (const EditSpec& e : edits)
    if (e.enabled) on.push_back(e);
  return on;
}

}  // namespace glassbox::probes
