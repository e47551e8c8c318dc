#pragma once
// What the window tests share: the toy model's prompt, waiting for the job
// runner, and a window on the shipped two-hop toy model.
#include <QEventLoop>
#include <QSignalSpy>
#include <QTimer>
#include <memory>

#include "app/gui/main_window.h"
#include "test_util.h"

namespace glassbox::gui::test_window {

inline const char* const kPrompt = "the father of the father of Sata is";

// Runs the event loop until the window's jobs are done.
inline void wait_for_jobs(MainWindow& window) {
  QEventLoop loop;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
    if (!window.jobs().busy()) loop.quit();
  });
  poll.start(20);
  loop.exec();
}

// The shipped toy model with the prompt typed and the next-token tab shown (it reruns live).
inline std::unique_ptr<MainWindow> window_on_toy_model() {
  auto window = std::make_unique<MainWindow>(false);
  QSignalSpy loaded(window.get(), SIGNAL(model_loaded()));
  window->open_model(QString::fromStdString(test::resources("models/two-hop")));
  EXPECT_TRUE(loaded.wait(120'000));
  window->select_analysis(window->analysis_index("next-token"));
  window->set_prompt(kPrompt);
  wait_for_jobs(*window);
  return window;
}

}  // namespace glassbox::gui::test_window
