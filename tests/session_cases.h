#pragma once
// Sessions for tests: a small valid one, and hostile ones (truncated, foreign,
// newer, incomplete, wrongly shaped), each with the problem its error must name.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/h5.h"
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

struct HostileSession {
  std::string path, problem;
};

// Writes each hostile case into `dir`.
inline std::vector<HostileSession> write_hostile_sessions(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<HostileSession> cases;
  const Session valid = small_session(dir + "/model");
  const std::string good = dir + "/good.gbx";
  write_session(good, valid);
  const auto size = fs::file_size(good);

  auto truncated = [&](const std::string& name, uintmax_t keep) {
    const std::string path = dir + "/" + name;
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    fs::resize_file(path, keep);
    return path;
  };
  cases.push_back({truncated("truncated_half.gbx", size / 2), ""});
  cases.push_back({truncated("truncated_header.gbx", 40), ""});
  cases.push_back({truncated("empty.gbx", 0), ""});
  {
    const std::string path = dir + "/text.gbx";
    std::ofstream(path) << "this is not HDF5\n";
    cases.push_back({path, ""});
  }
  {
    const std::string path = dir + "/activation_cache.gbx";
    h5::Writer w(path);
    w.attr("/", "glassbox_format", std::string("activation-cache"));
    w.attr("/", "format_version", int64_t(1));
    w.commit();
    cases.push_back({path, "not a Glassbox session (glassbox_format is 'activation-cache'"});
  }
  {
    const std::string path = dir + "/plot_export.gbx";
    h5::Writer w(path);
    write_plots(w, {small_heatmap("grid", 1)}, PlotMeta{"logit-lens", "{}", "m"});
    w.commit();
    cases.push_back({path, "no glassbox_format attribute"});
  }
  // Variations of a valid session written through a hook that edits it.
  auto variant = [&](const std::string& name, const std::string& problem, auto&& edit) {
    const std::string path = dir + "/" + name;
    Session s = valid;
    edit(s);
    write_session(path, s);
    cases.push_back({path, problem});
  };
  variant("no_analysis.gbx", "names no analysis", [](Session& s) { s.runs[0].analysis = ""; });
  variant("tokens_vs_strings.gbx", "has 3 tokens but 2 token strings",
          [](Session& s) { s.prompts[0].token_strings.pop_back(); });
  variant("hashes_vs_files.gbx", "lists 1 weights files but 2 hashes",
          [](Session& s) { s.model.weights_sha256.push_back(std::string(64, 'b')); });
  variant("bad_kind.gbx", "/model kind is 'pickle'", [](Session& s) { s.model.kind = "pickle"; });

  // Edits below the Session structure: raw HDF5 written by hand.
  auto raw = [&](const std::string& name, const std::string& problem, auto&& write_extra, bool with_runs = true,
                 int64_t version = 1) {
    const std::string path = dir + "/" + name;
    h5::Writer w(path);
    w.attr("/", "glassbox_format", std::string("session"));
    w.attr("/", "format_version", version);
    w.group("/model");
    for (const char* attr : {"path", "family", "device", "dtype"}) w.attr("/model", attr, std::string("x"));
    w.attr("/model", "kind", std::string("folder"));
    w.dataset("/model/weights_files", std::vector<std::string>{});
    w.dataset("/model/weights_sha256", std::vector<std::string>{});
    w.group("/prompts");
    if (with_runs) w.group("/runs");
    w.group("/window");
    w.attr("/window", "state_json", std::string("{}"));
    write_extra(w);
    w.commit();
    cases.push_back({path, problem});
  };
  raw("prompt_out_of_range.gbx", "refers to prompt 5 but the session has 0", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(5));
  });
  raw("newer.gbx", "written by a newer Glassbox (session format 2", [](h5::Writer&) {}, true, 2);
  raw("version_zero.gbx", "invalid session format_version 0", [](h5::Writer&) {}, true, 0);
  raw("missing_runs.gbx", "/runs is missing", [](h5::Writer&) {}, false);
  raw("gap_in_runs.gbx", "has '0001' where /runs/0000 was expected", [](h5::Writer& w) { w.group("/runs/0001"); });
  raw("plot_order_wrong.gbx", "lists 1 plots in plot_order but holds 0", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(-1));
    w.group("/runs/0000/plots");
    w.dataset("/runs/0000/plot_order", std::vector<std::string>{"q"});
  });
  raw("run_without_attrs.gbx", "analysis", [](h5::Writer& w) { w.group("/runs/0000"); });
  raw("plot_wrong_shape.gbx", "a heatmap needs 2-D data, got rank 1", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(-1));
    const float data[6] = {};
    w.dataset("/runs/0000/plots/p/data", data, {6});
    w.attr("/runs/0000/plots/p", "kind", std::string("heatmap"));
    const std::vector<std::string> x = {"a", "b", "c", "d"};
    w.dataset("/runs/0000/plots/p/x", x);
    w.dataset("/runs/0000/plot_order", std::vector<std::string>{"p"});
  });
  return cases;
}

}  // namespace glassbox::test
