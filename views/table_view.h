#pragma once
// A Plot of kind "table" ([rows, columns]; y labels the rows, x the columns)
// as a sortable, read-only table.
#include "views/plot_view.h"

class QTableWidget;

namespace glassbox::views {

class TableView : public PlotView {
  Q_OBJECT

 public:
  TableView(const Plot& plot, QWidget* parent = nullptr);
  QTableWidget* table() const { return table_; }

 private:
  QTableWidget* table_;
};

}  // namespace glassbox::views
