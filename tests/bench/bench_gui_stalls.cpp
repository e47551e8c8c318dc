// The window stays responsive while it works: the longest time its event loop
// went without turning, while a model opens and while each analysis of the
// registry runs on it and its results are shown (target: under 100 ms). The
// window is the real MainWindow, offscreen, on SmolLM2-135M-Instruct Q4_1 with
// a prompt of --tokens tokens (default: the IOI sentence); a 5 ms timer notes
// every turn. Analyses that need a data set are left out (they run the same
// way, longer).
// A plain program: prints one JSON object; exits 1 when a stall passes the
// target, 2 on a usage or load error.
//
//   bench_gui_stalls [--model GGUF] [--tokens N] [--threads N] [--skip id,id]
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "app/gui/main_window.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "probes/registry.h"

#ifndef GLASSBOX_SMOLLM2_GGUF
#define GLASSBOX_SMOLLM2_GGUF ""
#endif

namespace {

using namespace glassbox;

constexpr double kTargetMs = 100;
const char* const kIoi = "When Mary and John went to the store, John gave a drink to";

// Turns the event loop until `done()`, and returns the longest gap between two turns, in ms.
template <typename Done>
double longest_stall_until(Done done) {
  QEventLoop loop;
  QTimer tick;
  QElapsedTimer since_last;
  double longest = 0;
  since_last.start();
  QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
    longest = std::max(longest, since_last.nsecsElapsed() * 1e-6);
    since_last.restart();
    if (done()) loop.quit();
  });
  tick.start(5);
  loop.exec();
  return longest;
}

// The IOI sentence repeated until it has about n tokens.
QString prompt_of(const Model& model, int n) {
  std::string text = kIoi;
  while (n > 0 && static_cast<int>(model.tokenizer()->encode(text, false).size()) < n) text += std::string(" ") + kIoi;
  return QString::fromStdString(text);
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("GlassboxBench");
  QApplication::setApplicationName("GlassboxBench");
  std::string model_path = GLASSBOX_SMOLLM2_GGUF;
  int tokens = 0, threads = 2;
  std::set<std::string> skip;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model_path = value;
    else if (flag == "--tokens") tokens = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else if (flag == "--skip") {
      std::stringstream ss(value);
      for (std::string id; std::getline(ss, id, ',');) skip.insert(id);
    } else {
      std::cerr << "bench_gui_stalls: unknown option " << flag << "\n";
      return 2;
    }
  }
  if (model_path.empty()) {
    std::cerr << "bench_gui_stalls: give --model GGUF (no SmolLM2 was found at configure time)\n";
    return 2;
  }
  set_threads(threads);
  gui::MainWindow window(false);
  window.resize(1280, 720);
  window.show();
  bool loaded = false;
  QObject::connect(&window, &gui::MainWindow::model_loaded, [&] { loaded = true; });
  QObject::connect(&window, &gui::MainWindow::model_failed, [&] { loaded = true; });
  QElapsedTimer clock;
  clock.start();
  window.open_model(QString::fromStdString(model_path));
  nlohmann::json report = {{"model", model_path}, {"target_ms", kTargetMs}};
  report["open"] = {{"stall_ms", longest_stall_until([&] { return loaded; })},
                    {"seconds", clock.nsecsElapsed() * 1e-9}};
  if (!window.loaded_model().model) {
    std::cerr << "bench_gui_stalls: " << model_path << " did not load\n";
    return 2;
  }
  const auto idle = [&] { return !window.jobs().busy(); };
  window.set_prompt(prompt_of(*window.loaded_model().model, tokens));
  longest_stall_until(idle);
  double worst = report["open"]["stall_ms"].get<double>();
  for (const probes::Analysis& a : probes::analyses()) {
    const int index = window.analysis_index(a.id);
    if (index < 0 || a.needs.dataset == probes::Need::required || skip.count(a.id)) continue;
    clock.restart();
    window.select_analysis(index);
    window.run_analysis(index);
    const double stall = longest_stall_until(idle);
    report["analyses"][a.id] = {{"stall_ms", stall}, {"seconds", clock.nsecsElapsed() * 1e-9}};
    worst = std::max(worst, stall);
    std::cerr << a.id << ": longest stall " << stall << " ms\n";
  }
  report["worst_stall_ms"] = worst;
  report["ok"] = worst < kTargetMs;
  std::cout << report.dump(2) << "\n";
  return worst < kTargetMs ? 0 : 1;
}
