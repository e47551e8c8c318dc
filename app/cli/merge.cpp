// glassbox-cli merge: the shards of a data set analysis (`probe ID --shard i/n`)
// as the one run they are parts of, in a plot export or a session.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/cli.h"
#include "app/cli/session.h"
#include "core/error.h"
#include "core/h5.h"
#include "probes/registry.h"

namespace glassbox::cli {
namespace {

bool is_session_path(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".gbx") == 0;
}

int merge(Args& args) {
  const std::string out = args.get("out");
  const std::vector<std::string> files = args.positionals("shard files (the --out of each probe ... --shard i/n)");
  args.finish();
  std::vector<probes::ShardRecord> shards;
  for (const std::string& file : files) shards.push_back(probes::read_shard(h5::Reader(file)));
  const probes::ShardRecord run = probes::merge_shards(shards, files);
  const probes::Analysis* analysis = probes::find_analysis(run.analysis);
  if (!analysis || !analysis->from_rows)
    fail(files.front(), "its analysis '" + run.analysis + "' is not one of this Glassbox's data set analyses");
  const nlohmann::json params = nlohmann::json::parse(run.params_json, nullptr, false);
  if (!params.is_object()) fail(files.front(), "its params_json is not a JSON object");
  probes::AnalysisOutput output = analysis->from_rows(run.rows, probes::ParamValues(params));
  if (is_session_path(out)) {
    SessionRun merged;
    merged.analysis = run.analysis;
    merged.params_json = run.params_json;
    merged.inputs_json = run.inputs_json;
    merged.dataset = run.dataset;
    merged.edits_json = run.edits_json;
    merged.plots = std::move(output.plots);
    merged.started_utc = run.started_utc;
    merged.seconds = run.seconds;
    record_in_session(out, run.model_identity.path, [&] { return run.model_identity; }, std::move(merged), nullptr);
  } else {
    write_plots_to(out, output.plots, PlotMeta{run.analysis, run.params_json, run.model});
  }
  output.summary["out"] = out;
  output.summary["shards"] = files.size();
  std::cout << output.summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    "merge", "--out F.h5|F.gbx PART.h5...", merge, [](Args&) {
      return std::string(
          "usage: glassbox-cli merge --out F.h5|F.gbx PART.h5...\n\n"
          "Combines the parts that `glassbox-cli probe ID ... --shard i/n --out PART.h5` wrote, one for each i of "
          "0..n-1, into the output of the unsharded run: a plot export (F.h5) or a run appended to a session "
          "(F.gbx, created if missing; it opens in the GUI). Refuses, writing nothing, parts of different runs "
          "(analysis, parameters, model, data set), a part given twice and a missing one.\n");
    });

}  // namespace
}  // namespace glassbox::cli
