#pragma once
// A small valid session for tests (tests/hostile_files.h breaks it).
#include <string>
#include <vector>

#include "core/plot.h"
#include "core/session.h"

namespace glassbox::test {

inline Plot small_heatmap(const std::string& name, float scale) {
  Plot p;
  p.name = name;
  p.kind = "heatmap";
  p.title = "A " + name;
  p.shape = {2, 3};
  p.data = {0.5f * scale, 1.0f, -2.0f, 3.25f, 1e-7f, 42.0f};
  p.x.labels = {"When", " Mary", " and"};
  p.x.positions = {0, 1, 2};
  p.y.labels = {"L0", "L1"};
  return p;
}

inline Session small_session(const std::string& model_path) {
  Session s;
  s.model.path = model_path;
  s.model.kind = "folder";
  s.model.family = "gpt2";
  s.model.config_json = R"({"model_type": "gpt2"})";
  s.model.weights_files = {model_path + "/model.safetensors"};
  s.model.weights_sha256 = {std::string(64, 'a')};
  s.model.device = "cpu";
  s.model.dtype = "float32";
  s.prompts.push_back({"When Mary and", false, {7, 8, 9}, {"When", " Mary", " and"}});
  for (int i = 0; i < 3; ++i) {
    SessionRun r;
    r.analysis = i == 1 ? "logit-lens" : "residual-norms";
    r.params_json = R"({"position": -1})";
    r.inputs_json = R"({"position": {"text": "-1", "token_text": false}})";
    r.prompt = 0;
    r.plots = {small_heatmap("grid", float(i + 1))};
    r.started_utc = "2026-12-02T01:02:0" + std::to_string(i) + "Z";
    r.seconds = 0.25 * (i + 1);
    s.runs.push_back(r);
  }
  s.window_json = R"({"current": "logit-lens"})";
  return s;
}

}  // namespace glassbox::test
