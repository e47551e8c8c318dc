// The memory budget in the window (offscreen; the QApplication is test_sessions.cpp's):
// an analysis that would keep more activations than the budget asks before it runs,
// runs only when allowed, and is not asked about again at the same size.
#include <gtest/gtest.h>

#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

#include "app/gui/main_window.h"
#include "window_fixtures.h"

namespace glassbox::gui {
namespace {

using test_window::wait_for_jobs;
using test_window::window_on_toy_model;

// Answers the next question box that opens with `button` and returns its text through `asked`.
void answer_next_question(QMessageBox::StandardButton button, QString* asked) {
  auto* poll = new QTimer;
  QObject::connect(poll, &QTimer::timeout, poll, [poll, button, asked] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) return;
    *asked = box->text();
    box->button(button)->click();
    poll->deleteLater();
  });
  poll->start(10);
}

TEST(GuiMemoryBudget, AnAnalysisAboveTheBudgetAsksFirstAndRunsOnlyWhenAllowed) {
  auto window = window_on_toy_model();
  QSettings().setValue("memory/budget", "1K");
  const int heads = window->analysis_index("attention-heads");

  QString asked;
  answer_next_question(QMessageBox::No, &asked);
  window->select_analysis(heads);
  window->run_analysis(heads);
  wait_for_jobs(*window);
  EXPECT_TRUE(asked.startsWith("Attention heads on ")) << asked.toStdString();
  EXPECT_TRUE(asked.contains("above the memory budget of 1.0 KiB")) << asked.toStdString();
  EXPECT_EQ(window->run_count(heads), 0);

  asked.clear();
  answer_next_question(QMessageBox::Yes, &asked);
  window->run_analysis(heads);
  wait_for_jobs(*window);
  EXPECT_FALSE(asked.isEmpty());
  EXPECT_EQ(window->run_count(heads), 1);

  // Allowed once at this size: a rerun goes ahead without asking.
  window->run_analysis(heads);
  EXPECT_EQ(QApplication::activeModalWidget(), nullptr);
  wait_for_jobs(*window);
  EXPECT_EQ(window->run_count(heads), 2);
  QSettings().remove("memory/budget");
}

}  // namespace
}  // namespace glassbox::gui
