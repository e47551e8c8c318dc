#pragma once
// One analysis in the middle of the window: its description, a status line and
// its plots (side by side for a few, a selector for many).
#include <QWidget>
#include <vector>

#include "app/gui/backend.h"

class QComboBox;
class QLabel;
class QStackedWidget;

namespace glassbox::views {
class PlotView;
}

namespace glassbox::gui {

class AnalysisTab : public QWidget {
  Q_OBJECT

 public:
  AnalysisTab(const probes::Analysis& analysis, QWidget* parent = nullptr);
  const probes::Analysis& analysis() const { return analysis_; }
  const std::vector<Plot>& plots() const { return plots_; }
  const PlotMeta& meta() const { return meta_; }

  void show_status(const QString& text);
  void show_results(std::vector<Plot> plots, const PlotMeta& meta);
  // Clears the plots and shows why there are none.
  void show_message(const QString& message);

 signals:
  void hovered(const QString& text);

 private:
  views::PlotView* add_view(const Plot& plot, QWidget* parent);
  void set_content(QWidget* content);  // replaces the plots or message shown

  const probes::Analysis& analysis_;
  QLabel* status_;
  QWidget* results_;
  QWidget* content_ = nullptr;
  std::vector<Plot> plots_;
  PlotMeta meta_;
};

}  // namespace glassbox::gui
