#include "app/cli/session.h"

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "app/cli/cli.h"
#include "core/error.h"
#include "core/h5.h"

namespace glassbox::cli {
namespace {

namespace fs = std::filesystem;

nlohmann::json parsed_or_text(const std::string& json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(json) : parsed;
}

nlohmann::json describe(const Session& s) {
  nlohmann::json out;
  const SessionModel& m = s.model;
  out["model"] = {{"path", m.path}, {"kind", m.kind}, {"family", m.family}, {"device", m.device}, {"dtype", m.dtype}};
  for (size_t i = 0; i < m.weights_files.size(); ++i)
    out["model"]["weights"].push_back({{"file", m.weights_files[i]}, {"sha256", m.weights_sha256[i]}});
  out["prompts"] = nlohmann::json::array();
  for (const SessionPrompt& p : s.prompts)
    out["prompts"].push_back({{"text", p.text}, {"tokens", p.tokens}, {"add_special_tokens", p.add_special_tokens}});
  out["runs"] = nlohmann::json::array();
  for (const SessionRun& r : s.runs) {
    nlohmann::json plots = nlohmann::json::array();
    for (const Plot& p : r.plots) plots.push_back(p.name);
    out["runs"].push_back({{"analysis", r.analysis},
                           {"params", parsed_or_text(r.params_json)},
                           {"prompt", r.prompt},
                           {"edits", parsed_or_text(r.edits_json)},
                           {"started_utc", r.started_utc},
                           {"seconds", r.seconds},
                           {"plots", plots}});
  }
  return out;
}

void print_info(const std::string& path, const Session& s) {
  const SessionModel& m = s.model;
  std::cout << "session " << path << "\n"
            << "model: " << m.path << " (" << m.kind << ", " << m.family << ", " << m.device << ", " << m.dtype << ")\n";
  for (size_t i = 0; i < m.weights_files.size(); ++i)
    std::cout << "  " << m.weights_files[i] << "  sha256 " << m.weights_sha256[i] << "\n";
  std::cout << "prompts: " << s.prompts.size() << "\n";
  for (size_t i = 0; i < s.prompts.size(); ++i)
    std::cout << "  " << i << ": " << nlohmann::json(s.prompts[i].text).dump() << " (" << s.prompts[i].tokens.size()
              << " tokens)\n";
  std::cout << "runs: " << s.runs.size() << "\n";
  for (size_t i = 0; i < s.runs.size(); ++i) {
    const SessionRun& r = s.runs[i];
    std::cout << "  " << i << ": " << r.analysis << "  " << r.started_utc << "  " << r.seconds << " s";
    if (r.prompt >= 0) std::cout << "  prompt " << r.prompt;
    std::cout << "  " << r.plots.size() << " plots\n      params " << r.params_json << "\n";
    if (r.edits_json != "[]") std::cout << "      edits " << r.edits_json << "\n";
  }
}

int session_info(Args& args) {
  const std::string path = args.positional("session file (F.gbx)");
  const bool json = args.flag("json");
  args.finish();
  const Session s = open_session(path);
  if (json)
    std::cout << describe(s).dump(2) << "\n";
  else
    print_info(path, s);
  return 0;
}

PlotMeta run_meta(const Session& s, const SessionRun& r) {
  PlotMeta meta{r.analysis, r.params_json, s.model.path};
  if (r.prompt >= 0) {
    meta.prompt = s.prompts[size_t(r.prompt)].text;
    meta.tokens = s.prompts[size_t(r.prompt)].tokens;
  }
  return meta;
}

// --run N: that run's plots under their own names; otherwise the latest run of
// each analysis, as "<analysis>.<plot>".
int session_export(Args& args) {
  const std::string path = args.positional("session file (F.gbx)");
  const std::string out = args.get("out");
  const int64_t only = args.integer("run", -1);
  args.finish();
  const Session s = open_session(path);
  if (only >= static_cast<int64_t>(s.runs.size()) || only < -1)
    fail("command line", "--run " + std::to_string(only) + ": the session has runs 0 to " +
                             std::to_string(int64_t(s.runs.size()) - 1));
  h5::Writer file(out);
  file.group("/plots");
  size_t written = 0;
  if (only >= 0) {
    const SessionRun& r = s.runs[size_t(only)];
    write_plots(file, r.plots, run_meta(s, r));
    written = r.plots.size();
  } else {
    std::set<std::string> seen;
    for (auto r = s.runs.rbegin(); r != s.runs.rend(); ++r) {
      if (!seen.insert(r->analysis).second) continue;
      for (Plot plot : r->plots) {
        plot.name = r->analysis + "." + plot.name;
        write_plot(file, "/plots/" + plot.name, plot, run_meta(s, *r));
        ++written;
      }
    }
  }
  file.commit();
  std::cout << nlohmann::json{{"out", out}, {"plots", written}}.dump(2) << "\n";
  return 0;
}

// Rewrites a session of an earlier format (variable-length strings) in the
// current one, in place or to --out. Reading format 1 trusts libhdf5 with the
// file, so the user says they trust it by running this.
int session_upgrade(Args& args) {
  const std::string path = args.positional("session file (F.gbx)");
  const std::string out = args.get("out", path);
  args.finish();
  write_session(out, open_session(path, h5::VariableLengthStrings::Read));
  std::cout << nlohmann::json{{"session", path}, {"out", out}}.dump(2) << "\n";
  return 0;
}

const bool registered = [] {
  register_command("session info", "F.gbx [--json]", session_info,
                   [](Args&) {
                     return std::string(
                         "usage: glassbox-cli session info F.gbx [--json]\n\n"
                         "The session's model (path, weights hashes), prompts and every analysis run with its "
                         "parameters.\n");
                   });
  register_command("session export", "F.gbx --out plots.h5 [--run N]", session_export, [](Args&) {
    return std::string(
        "usage: glassbox-cli session export F.gbx --out plots.h5 [--run N]\n\n"
        "Writes the plots of the latest run of every analysis (named <analysis>.<plot>), or of run N under their "
        "own names, in the plot-export layout.\n");
  });
  register_command("session upgrade", "F.gbx [--out G.gbx]", session_upgrade, [](Args&) {
    return std::string(
        "usage: glassbox-cli session upgrade F.gbx [--out G.gbx]\n\n"
        "Rewrites a session saved by an earlier Glassbox (session format 1, variable-length strings) in the current "
        "format, in place unless --out is given. Format 1 files are read by libhdf5 without bounds checks on their "
        "strings: upgrade only sessions from a source you trust.\n");
  });
  return true;
}();

}  // namespace

void record_in_session(const std::string& path, const std::string& model_path,
                       const std::function<SessionModel()>& describe, SessionRun run, const SessionPrompt* prompt) {
  Session session;
  if (fs::exists(path)) {
    session = open_session(path);
    const std::string saved = fs::weakly_canonical(session.model.path).string();
    if (saved != fs::weakly_canonical(model_path).string())
      fail(path, "the session was made with the model " + session.model.path + ", not " + model_path);
  } else {
    session.model = describe();
  }
  run.prompt = prompt ? session.add_prompt(*prompt) : -1;
  session.runs.push_back(std::move(run));
  write_session(path, session);
}

}  // namespace glassbox::cli
