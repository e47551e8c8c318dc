#include "core/session.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/child_process.h"
#include "core/error.h"
#include "core/h5.h"
#include "core/sha256.h"

namespace glassbox {

// 2: strings fixed-length (1 wrote them variable-length; see h5::VariableLengthStrings).
const int64_t kSessionFormatVersion = 2;

namespace fs = std::filesystem;

namespace {

// Group names that sort in order: /prompts/0000, /runs/0012.
std::string numbered(const std::string& root, size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "/%04zu", i);
  return root + name;
}

// A test-only hook (docs/file-formats.md#session): GLASSBOX_TEST_ABORT_SAVE_AFTER_RUNS=N
// ends the process after N runs are written, as a crash mid-save would.
int64_t abort_save_after_runs() {
  const char* value = std::getenv("GLASSBOX_TEST_ABORT_SAVE_AFTER_RUNS");
  return value && *value ? std::atoll(value) : -1;
}

std::string optional_string(const h5::Reader& file, const std::string& object, const std::string& name) {
  return file.has_attr(object, name) ? file.attr_string(object, name) : std::string();
}

void require_group(const h5::Reader& file, const std::string& path) {
  if (!file.exists(path)) fail(file.path(), "not a complete session: " + path + " is missing");
}

// Numbered children 0000, 0001, ... with none missing.
std::vector<std::string> numbered_children(const h5::Reader& file, const std::string& root) {
  std::vector<std::string> names = file.children(root);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] != numbered("", i).substr(1))
      fail(file.path(), root + " has '" + names[i] + "' where " + numbered(root, i) + " was expected");
  return names;
}

// describe_model writes the model as an absolute path without '.' or '..',
// and its weights files inside it. Anything else (a relative path that would
// resolve against wherever the session is opened from, a path that climbs out,
// a weights file elsewhere) is refused, so that opening a session reads only
// the model it names.
void require_contained_model(const std::string& path, const SessionModel& m) {
  const fs::path model(m.path);
  if (!model.is_absolute() || model.lexically_normal() != model)
    fail(path, "/model path '" + m.path + "' is not an absolute path without '.' or '..' components");
  const bool gguf = m.kind == "gguf";
  for (const std::string& file : m.weights_files) {
    const fs::path weights(file);
    const bool inside =
        gguf ? weights == model : weights.parent_path() == model && weights.lexically_normal() == weights;
    if (!inside)
      fail(path, "/model weights file '" + file + "' is not " + (gguf ? "the model file " : "in the model folder ") +
                     m.path);
  }
}

SessionPrompt read_prompt(const h5::Reader& file, const std::string& group) {
  SessionPrompt p;
  p.text = file.attr_string(group, "text");
  p.add_special_tokens = file.attr_int(group, "add_special_tokens") != 0;
  const size_t rank = file.shape(group + "/tokens").size();
  if (rank != 1) fail(file.path(), group + "/tokens is " + std::to_string(rank) + "-D; token ids are 1-D");
  p.tokens = file.read_int64(group + "/tokens");
  p.token_strings = file.read_strings(group + "/token_strings");
  if (p.token_strings.size() != p.tokens.size())
    fail(file.path(), group + " has " + std::to_string(p.tokens.size()) + " tokens but " +
                          std::to_string(p.token_strings.size()) + " token strings");
  return p;
}

SessionRun read_run(const h5::Reader& file, const std::string& group, size_t n_prompts) {
  SessionRun r;
  r.analysis = file.attr_string(group, "analysis");
  if (r.analysis.empty()) fail(file.path(), group + " names no analysis");
  r.params_json = file.attr_string(group, "params_json");
  r.inputs_json = optional_string(file, group, "inputs_json");
  r.prompt = file.attr_int(group, "prompt");
  if (r.prompt < -1 || r.prompt >= static_cast<int64_t>(n_prompts))
    fail(file.path(), group + " refers to prompt " + std::to_string(r.prompt) + " but the session has " +
                          std::to_string(n_prompts));
  r.dataset = optional_string(file, group, "dataset");
  r.edits_json = optional_string(file, group, "edits_json");
  if (r.edits_json.empty()) r.edits_json = "[]";
  r.started_utc = optional_string(file, group, "started_utc");
  r.seconds = file.has_attr(group, "seconds") ? file.attr_double(group, "seconds") : 0.0;
  std::vector<Plot> plots = read_plots(file, group + "/plots");  // in name order
  // The order the analysis returned them in, which the views follow.
  const std::vector<std::string> order = file.read_strings(group + "/plot_order");
  if (order.size() != plots.size())
    fail(file.path(), group + " lists " + std::to_string(order.size()) + " plots in plot_order but holds " +
                          std::to_string(plots.size()));
  std::vector<Plot> ordered;
  for (const std::string& name : order) {
    auto it = std::find_if(plots.begin(), plots.end(), [&](const Plot& p) { return p.name == name; });
    if (it == plots.end()) fail(file.path(), group + "/plot_order names '" + name + "', which is not a plot of the run");
    ordered.push_back(std::move(*it));
    plots.erase(it);
  }
  r.plots = std::move(ordered);
  return r;
}

}  // namespace

int64_t Session::add_prompt(const SessionPrompt& prompt) {
  auto it = std::find(prompts.begin(), prompts.end(), prompt);
  if (it != prompts.end()) return it - prompts.begin();
  prompts.push_back(prompt);
  return static_cast<int64_t>(prompts.size()) - 1;
}

std::vector<std::string> weights_files(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) return files;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

SessionModel describe_model(const std::string& path, const ModelInfo& info, const std::string& device,
                            const std::string& dtype) {
  SessionModel m;
  // Absolute, so that the session reopens from any working directory.
  fs::path absolute = fs::absolute(path).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  m.path = absolute.string();
  m.kind = fs::is_directory(path) ? "folder" : "gguf";
  m.family = info.family;
  m.config_json = info.config_json;
  m.device = device;
  m.dtype = dtype;
  m.weights_files = weights_files(m.path);
  for (const std::string& file : m.weights_files) m.weights_sha256.push_back(sha256_file(file));
  return m;
}

std::string weights_mismatch(const SessionModel& saved, const SessionModel& now) {
  auto name = [](const std::string& file) { return fs::path(file).filename().string(); };
  for (size_t i = 0; i < saved.weights_files.size(); ++i) {
    const std::string& file = saved.weights_files[i];
    size_t j = 0;
    while (j < now.weights_files.size() && name(now.weights_files[j]) != name(file)) ++j;
    if (j == now.weights_files.size()) return file + ": missing from the model opened now";
    if (now.weights_sha256[j] != saved.weights_sha256[i])
      return now.weights_files[j] + ": the weights differ from the ones the session was made with (SHA-256 " +
             saved.weights_sha256[i].substr(0, 12) + "… saved, " + now.weights_sha256[j].substr(0, 12) + "… now)";
  }
  if (now.weights_files.size() != saved.weights_files.size())
    return now.path + ": has " + std::to_string(now.weights_files.size()) + " weights files; the session's had " +
           std::to_string(saved.weights_files.size());
  return "";
}

void write_session(const std::string& path, const Session& session) {
  h5::Writer file(path);
  file.attr("/", "glassbox_format", std::string("session"));
  file.attr("/", "format_version", kSessionFormatVersion);
  file.attr("/", "glassbox_version", std::string(kVersion));

  const SessionModel& m = session.model;
  file.group("/model");
  const std::pair<const char*, const std::string&> model_attrs[] = {
      {"path", m.path}, {"kind", m.kind}, {"family", m.family}, {"config_json", m.config_json},
      {"device", m.device}, {"dtype", m.dtype}};
  for (const auto& [name, value] : model_attrs) file.attr("/model", name, value);
  file.dataset("/model/weights_files", m.weights_files);
  file.dataset("/model/weights_sha256", m.weights_sha256);

  file.group("/prompts");
  for (size_t i = 0; i < session.prompts.size(); ++i) {
    const SessionPrompt& p = session.prompts[i];
    const std::string group = numbered("/prompts", i);
    file.group(group);
    file.attr(group, "text", p.text);
    file.attr(group, "add_special_tokens", int64_t(p.add_special_tokens));
    file.dataset(group + "/tokens", p.tokens.data(), {static_cast<int64_t>(p.tokens.size())});
    file.dataset(group + "/token_strings", p.token_strings);
  }

  const int64_t abort_after = abort_save_after_runs();
  file.group("/runs");
  for (size_t i = 0; i < session.runs.size(); ++i) {
    if (static_cast<int64_t>(i) == abort_after) std::_Exit(86);
    const SessionRun& r = session.runs[i];
    const std::string group = numbered("/runs", i);
    if (r.prompt < -1 || r.prompt >= static_cast<int64_t>(session.prompts.size()))
      fail(path, "run " + std::to_string(i) + " refers to prompt " + std::to_string(r.prompt) + " but the session has " +
                     std::to_string(session.prompts.size()));
    file.group(group);
    const std::pair<const char*, const std::string&> run_attrs[] = {
        {"analysis", r.analysis},       {"params_json", r.params_json}, {"inputs_json", r.inputs_json},
        {"dataset", r.dataset},         {"edits_json", r.edits_json},   {"started_utc", r.started_utc}};
    for (const auto& [name, value] : run_attrs) file.attr(group, name, value);
    file.attr(group, "prompt", r.prompt);
    file.attr(group, "seconds", r.seconds);
    PlotMeta meta{r.analysis, r.params_json, m.path};
    if (r.prompt >= 0) {
      meta.prompt = session.prompts[static_cast<size_t>(r.prompt)].text;
      meta.tokens = session.prompts[static_cast<size_t>(r.prompt)].tokens;
    }
    write_plots(file, r.plots, meta, group + "/plots");
    std::vector<std::string> order;
    for (const Plot& plot : r.plots) order.push_back(plot.name);
    file.dataset(group + "/plot_order", order);
  }

  file.group("/window");
  file.attr("/window", "state_json", session.window_json);
  file.commit();
}

Session read_session(const std::string& path, h5::VariableLengthStrings strings) {
  const h5::Reader file(path, strings);
  if (!file.has_attr("/", "glassbox_format")) fail(path, "not a Glassbox session (no glassbox_format attribute)");
  const std::string format = file.attr_string("/", "glassbox_format");
  if (format != "session")
    fail(path, "not a Glassbox session (glassbox_format is '" + format + "'; sessions have 'session')");
  const int64_t version = file.attr_int("/", "format_version");
  if (version > kSessionFormatVersion)
    fail(path, "written by a newer Glassbox (session format " + std::to_string(version) + "; this version reads up to " +
                   std::to_string(kSessionFormatVersion) + ")");
  if (version < 1) fail(path, "invalid session format_version " + std::to_string(version));
  for (const char* group : {"/model", "/prompts", "/runs", "/window"}) require_group(file, group);

  Session s;
  SessionModel& m = s.model;
  m.path = file.attr_string("/model", "path");
  m.kind = file.attr_string("/model", "kind");
  if (m.kind != "folder" && m.kind != "gguf") fail(path, "/model kind is '" + m.kind + "' (expected folder or gguf)");
  m.family = file.attr_string("/model", "family");
  m.config_json = optional_string(file, "/model", "config_json");
  m.device = file.attr_string("/model", "device");
  m.dtype = file.attr_string("/model", "dtype");
  m.weights_files = file.read_strings("/model/weights_files");
  m.weights_sha256 = file.read_strings("/model/weights_sha256");
  if (m.weights_files.size() != m.weights_sha256.size())
    fail(path, "/model lists " + std::to_string(m.weights_files.size()) + " weights files but " +
                   std::to_string(m.weights_sha256.size()) + " hashes");
  require_contained_model(path, m);

  for (const std::string& name : numbered_children(file, "/prompts"))
    s.prompts.push_back(read_prompt(file, "/prompts/" + name));
  for (const std::string& name : numbered_children(file, "/runs"))
    s.runs.push_back(read_run(file, "/runs/" + name, s.prompts.size()));
  s.window_json = file.attr_string("/window", "state_json");
  return s;
}

Session open_session(const std::string& path, h5::VariableLengthStrings strings) {
  // Time for any genuine session (20 MB/s is several times slower than reading
  // one here), not for a loop.
  std::error_code ec;
  const double megabytes = double(fs::file_size(path, ec)) / 1e6;
  const double timeout = 20 + (ec ? 0 : megabytes / 20);
  run_in_child(path, [&] { read_session(path, strings); }, timeout);
  return read_session(path, strings);
}

}  // namespace glassbox
