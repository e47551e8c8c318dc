// Glassbox's side of tests/bench/compare_transformer_lens.sh: activation
// patching (resid_pre and head_out grids) and direct logit attribution on
// SmolLM2-135M-Instruct Q4_1, on the IOI pair and metric of
// tests/reference/transformer_lens_patching.py, timed the same way: a warm-up
// run of each, then the best of --repeats. A plain program, not a Google
// Benchmark: it prints one JSON object (wall and CPU seconds, shapes, token
// ids, the clean metric) and, with --out DIR, writes resid_pre.json,
// head_out.json (the raw patched metric, not normalised) and dla.json (heads
// [L, H] and the components) for the comparison with TransformerLens's. Exits 2
// on a usage or load error.
//
//   bench_interventions [--model GGUF] [--threads N] [--repeats N] [--out DIR]
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/tokenizer.h"
#include "probes/activation_patching.h"
#include "probes/logit_attribution.h"

#ifndef GLASSBOX_SMOLLM2_GGUF
#define GLASSBOX_SMOLLM2_GGUF ""
#endif

namespace {

using namespace glassbox;
using namespace glassbox::probes;
using Clock = std::chrono::steady_clock;

const char *const kClean =
    "When Mary and John went to the store, John gave a drink to";
const char *const kCorrupted =
    "When Mary and John went to the store, Mary gave a drink to";

struct Options {
  std::string model = GLASSBOX_SMOLLM2_GGUF;
  std::string out;
  int threads = 2;
  int repeats = 3;
};

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc)
      throw std::runtime_error(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--model") {
      o.model = value;
    } else if (flag == "--out") {
      o.out = value;
    } else if (flag == "--threads") {
      o.threads = std::stoi(value);
    } else if (flag == "--repeats") {
      o.repeats = std::stoi(value);
    } else {
      throw std::runtime_error("unknown flag " + flag);
    }
  }
  if (o.model.empty())
    throw std::runtime_error("--model: no default SmolLM2 path was configured");
  if (o.repeats < 1)
    throw std::runtime_error("--repeats must be at least 1");
  return o;
}

// The one token a text encodes to (the answers " Mary" and " John").
int64_t single_token(const Tokenizer &tokenizer, const std::string &text) {
  const std::vector<int64_t> ids = tokenizer.encode(text, false);
  if (ids.size() != 1)
    throw std::runtime_error("'" + text + "' is not one token");
  return ids[0];
}

// Wall-clock and process CPU seconds (all threads) of the fastest run; on a
// loaded machine the CPU time is the steadier of the two.
struct Timing {
  double seconds = 0, cpu_seconds = 0;
};

// An untimed warm-up run, then the fastest of `repeats` runs; `result` keeps
// the last.
template <typename Result, typename Run>
Timing best_of(int repeats, Result &result, Run run) {
  result = run();
  Timing best;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    result = run();
    const double cpu =
        static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (i == 0 || seconds < best.seconds)
      best.seconds = seconds;
    if (i == 0 || cpu < best.cpu_seconds)
      best.cpu_seconds = cpu;
  }
  return best;
}

// A float tensor of any rank as nested JSON lists.
nlohmann::json nested(const at::Tensor &t) {
  const at::Tensor values = t.to(at::kDouble).contiguous();
  if (values.dim() == 0)
    return values.item<double>();
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t i = 0; i < values.size(0); ++i)
    rows.push_back(nested(values[i]));
  return rows;
}

void write_json(const std::string &path, const nlohmann::json &value) {
  std::ofstream file(path);
  file << value.dump() << '\n';
  if (!file)
    throw std::runtime_error(path + ": cannot write");
}

int run(const Options &o) {
  set_threads(o.threads);
  const std::unique_ptr<Model> model = load_model(o.model);
  if (!model->tokenizer())
    throw std::runtime_error(o.model + ": no tokenizer");
  const Tokenizer &tokenizer = *model->tokenizer();

  PatchingParams patching;
  patching.clean = tokenizer.encode(kClean, false);
  patching.corrupted = tokenizer.encode(kCorrupted, false);
  patching.metric.kind = Metric::Kind::logit_diff;
  patching.metric.answer = single_token(tokenizer, " Mary");
  patching.metric.wrong = single_token(tokenizer, " John");
  patching.direction =
      PatchDirection::denoising; // TransformerLens's get_act_patch_*: clean
                                 // into corrupted

  const Progress quiet;
  PatchingResult resid_pre, head_out;
  patching.grid = PatchGrid::resid_pre;
  const Timing resid_pre_time = best_of(o.repeats, resid_pre, [&] {
    return activation_patching(*model, patching, quiet);
  });
  patching.grid = PatchGrid::head_out;
  const Timing head_out_time = best_of(o.repeats, head_out, [&] {
    return activation_patching(*model, patching, quiet);
  });

  LogitAttributionParams attribution;
  attribution.tokens = patching.clean;
  attribution.metric = patching.metric;
  LogitAttributionResult dla;
  const Timing dla_time = best_of(o.repeats, dla, [&] {
    return logit_attribution(*model, attribution, quiet);
  });

  const nlohmann::json report = {
      {"threads", o.threads},
      {"repeats", o.repeats},
      {"tokens", patching.clean},
      {"corrupted_tokens", patching.corrupted},
      {"answer", patching.metric.answer},
      {"wrong", patching.metric.wrong},
      {"clean_metric", resid_pre.clean_metric},
      {"corrupted_metric", resid_pre.corrupted_metric},
      {"resid_pre_seconds", resid_pre_time.seconds},
      {"resid_pre_cpu_seconds", resid_pre_time.cpu_seconds},
      {"resid_pre_shape", resid_pre.values.sizes().vec()},
      {"head_out_seconds", head_out_time.seconds},
      {"head_out_cpu_seconds", head_out_time.cpu_seconds},
      {"head_out_shape", head_out.values.sizes().vec()},
      {"dla_seconds", dla_time.seconds},
      {"dla_cpu_seconds", dla_time.cpu_seconds},
      {"dla_head_shape", dla.heads.sizes().vec()},
      {"dla_logit_diff", dla.logit_diff},
      {"dla_components_sum", dla.components_sum},
  };
  if (!o.out.empty()) {
    write_json(o.out + "/resid_pre.json", nested(resid_pre.values));
    write_json(o.out + "/head_out.json", nested(head_out.values));
    write_json(o.out + "/dla.json",
               {{"heads", nested(dla.heads)},
                {"components", nested(dla.components)},
                {"component_labels", dla.component_labels}});
  }
  std::cout << report.dump() << std::endl;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception &e) {
    std::cerr << "bench_interventions: " << e.what() << '\n';
    return 2;
  }
}
