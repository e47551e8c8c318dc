// Long prompts in the views (issue: "long prompts"): SmolLM2-135M-Instruct
// Q4_1 on a 1,000-token prompt, offscreen. Measured in one run:
//   - the attention-pattern analysis (its forward pass) — the baseline;
//   - opening its heatmap: building the view and painting it once at 1280×720,
//     as seconds and as a ratio to the baseline (target: at most 2 s);
//   - panning and zooming: the median and worst repaint after a wheel zoom or
//     a drag, at full view and zoomed in (smooth: well under 50 ms);
//   - the logit lens over all positions (and when its first chunk of positions
//     arrives), its plots' views opened and painted.
// A plain program: prints one JSON object; exits 1 when a target is missed, 2
// on a usage or load error.
//
//   bench_long_prompt [--model GGUF] [--tokens N] [--threads N]
#include <QApplication>
#include <QElapsedTimer>
#include <QWheelEvent>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/progress.h"
#include "core/tokenizer.h"
#include "probes/registry.h"
#include "views/heatmap_view.h"
#include "views/plot_view.h"

#ifndef GLASSBOX_SMOLLM2_GGUF
#define GLASSBOX_SMOLLM2_GGUF ""
#endif

namespace {

using namespace glassbox;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The README's opening paragraph-like text, repeated until it has n tokens.
std::vector<int64_t> long_prompt(const Model& model, int n) {
  const std::string text =
      "Glassbox is a native desktop workbench for mechanistic interpretability of transformer language models. "
      "Researchers open a model, type a prompt, and look inside: residual streams captured by hooks, attention "
      "maps, layer contributions, activation patching, attribution, ablation and steering. ";
  std::vector<int64_t> ids = model.tokenizer()->encode(text, true);
  const std::vector<int64_t> more = model.tokenizer()->encode(text, false);
  while (static_cast<int>(ids.size()) < n) ids.insert(ids.end(), more.begin(), more.end());
  ids.resize(static_cast<size_t>(n));
  return ids;
}

probes::AnalysisOutput run_analysis(const Model& model, const std::string& id, const std::vector<int64_t>& tokens,
                                    const std::map<std::string, std::string>& typed, const Progress& progress = {}) {
  const probes::Analysis& a = *probes::find_analysis(id);
  probes::ParamInputs inputs;
  for (const auto& [name, text] : typed) inputs[name] = {text, false};
  probes::AnalysisInputs in;
  in.tokens = tokens;
  return a.run(model, in, probes::parse_params(a.params(model.info()), inputs, model, probes::Front::gui),
               progress);
}

// Seconds to build the view of `plot` and paint it once at 1280×720.
double open_seconds(const Plot& plot, std::unique_ptr<views::PlotView>& view) {
  const auto start = Clock::now();
  view.reset(views::make_plot_view(plot));
  view->resize(1280, 720);
  view->grab();
  return seconds_since(start);
}

// Repaint times (ms) after each of `steps` wheel notches or drags.
std::vector<double> repaint_ms(views::PlotView& view, int steps, bool zoom) {
  std::vector<double> ms;
  const QPointF centre(view.width() / 2.0, view.height() / 2.0);
  for (int i = 0; i < steps; ++i) {
    QElapsedTimer timer;
    timer.start();
    if (zoom) {
      QWheelEvent wheel(centre, view.mapToGlobal(centre), {}, QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                        Qt::NoScrollPhase, false);
      QApplication::sendEvent(&view, &wheel);
    } else {
      QMouseEvent press(QEvent::MouseButtonPress, centre, view.mapToGlobal(centre), Qt::LeftButton, Qt::LeftButton,
                        Qt::NoModifier);
      const QPointF to = centre + QPointF(i % 2 ? 40 : -40, 10);
      QMouseEvent move(QEvent::MouseMove, to, view.mapToGlobal(to), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
      QMouseEvent release(QEvent::MouseButtonRelease, to, view.mapToGlobal(to), Qt::LeftButton, Qt::NoButton,
                          Qt::NoModifier);
      QApplication::sendEvent(&view, &press);
      QApplication::sendEvent(&view, &move);
      QApplication::sendEvent(&view, &release);
    }
    view.grab();
    ms.push_back(timer.nsecsElapsed() * 1e-6);
  }
  return ms;
}

nlohmann::json summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {{"median_ms", ms[ms.size() / 2]}, {"max_ms", ms.back()}, {"steps", ms.size()}};
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  std::string model_path = GLASSBOX_SMOLLM2_GGUF;
  int n_tokens = 1000, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model_path = value;
    else if (flag == "--tokens") n_tokens = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else {
      std::fprintf(stderr, "bench_long_prompt: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    if (model_path.empty()) throw std::runtime_error("--model: no default SmolLM2 path was configured");
    set_threads(threads);
    const std::unique_ptr<Model> model = load_model(model_path);
    const std::vector<int64_t> tokens = long_prompt(*model, n_tokens);
    nlohmann::json out = {{"model", model_path}, {"tokens", tokens.size()}, {"threads", threads}};

    run_analysis(*model, "attention-pattern", std::vector<int64_t>(tokens.begin(), tokens.begin() + 16), {});  // warm-up
    auto start = Clock::now();
    const probes::AnalysisOutput attention = run_analysis(*model, "attention-pattern", tokens, {{"head", "17:4"}});
    const double forward = seconds_since(start);
    std::unique_ptr<views::PlotView> view;
    const double open = open_seconds(attention.plots.front(), view);
    nlohmann::json pan_zoom = {{"zoom_full", summary(repaint_ms(*view, 8, true))},
                               {"pan_zoomed", summary(repaint_ms(*view, 20, false))}};
    dynamic_cast<views::HeatmapView&>(*view).zoom_to_fit();
    pan_zoom["pan_full"] = summary(repaint_ms(*view, 10, false));
    out["attention"] = {{"analysis_s", forward}, {"open_s", open}, {"open_over_analysis", open / forward},
                        {"pan_zoom", pan_zoom}};

    // The window shows each chunk of positions as it arrives: when the first one is there.
    start = Clock::now();
    double first_chunk_s = -1;
    Progress in_parts;
    in_parts.partial = [&](const std::vector<Plot>&) {
      if (first_chunk_s < 0) first_chunk_s = seconds_since(start);
    };
    const probes::AnalysisOutput lens = run_analysis(*model, "logit-lens", tokens, {}, in_parts);
    const double lens_s = seconds_since(start);
    nlohmann::json lens_views = nlohmann::json::object();
    double lens_open = 0;
    for (const Plot& plot : lens.plots) {
      std::unique_ptr<views::PlotView> lens_view;
      const double s = open_seconds(plot, lens_view);
      lens_views[plot.name] = s;
      lens_open += s;
    }
    out["logit_lens"] = {{"analysis_s", lens_s},
                         {"first_chunk_s", first_chunk_s},
                         {"open_s", lens_views},
                         {"open_over_analysis", lens_open / lens_s}};

    const bool met = open <= 2.0 && pan_zoom["pan_zoomed"]["median_ms"].get<double>() < 50 &&
                     pan_zoom["zoom_full"]["median_ms"].get<double>() < 100;
    out["targets_met"] = met;
    std::cout << out.dump(2) << std::endl;
    return met ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_long_prompt: %s\n", e.what());
    return 2;
  }
}
