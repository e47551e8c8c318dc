#pragma once
// A Plot of kind "table" ([rows, columns]; y labels the rows, x the columns)
// as a sortable, read-only table. The table reads the plot through a model,
// so that a logit lens over 1,000 tokens (155,000 rows) opens at once.
#include "views/plot_view.h"

class QTableView;

namespace glassbox::views {

class TableView : public PlotView {
  Q_OBJECT

 public:
  TableView(PlotRef plot, QWidget* parent = nullptr);
  QTableView* table() const { return table_; }
  // The selected cells (every cell when none are), tab-separated with their row and column labels.
  QString values_tsv() const override;

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  QTableView* table_;
};

}  // namespace glassbox::views
