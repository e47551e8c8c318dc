#include "views/table_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace glassbox::views {

namespace {

// Sorts by the number, not by its text; NaN sorts last.
class NumberItem : public QTableWidgetItem {
 public:
  explicit NumberItem(double value) : QTableWidgetItem(value_text(value)), value_(value) {
    setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  }
  bool operator<(const QTableWidgetItem& other) const override {
    const double b = static_cast<const NumberItem&>(other).value_;
    if (std::isnan(value_)) return false;
    return std::isnan(b) || value_ < b;
  }

 private:
  double value_;
};

}  // namespace

TableView::TableView(const Plot& plot, QWidget* parent) : PlotView(plot, parent), table_(new QTableWidget(this)) {
  const int rows = plot.shape.size() == 2 ? static_cast<int>(plot.shape[0]) : 0;
  const int columns = plot.shape.size() == 2 ? static_cast<int>(plot.shape[1]) : 0;
  table_->setRowCount(rows);
  table_->setColumnCount(columns);
  QStringList column_names, row_names;
  for (int c = 0; c < columns; ++c) column_names << axis_text(plot.x, c);
  for (int r = 0; r < rows; ++r) row_names << axis_text(plot.y, r);
  table_->setHorizontalHeaderLabels(column_names);
  table_->setVerticalHeaderLabels(row_names);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      auto* item = new NumberItem(plot.at(r, c));
      item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
      item->setToolTip(
          tooltip_text(QStringLiteral("%1  ·  %2  ·  %3").arg(row_names[r], column_names[c], value_text(plot.at(r, c)))));
      table_->setItem(r, c, item);
    }
  }
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  // Columns as wide as their numbers; the last one takes what is left.
  table_->setWordWrap(false);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->setSortingEnabled(true);
  route_context_menu(table_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  if (!plot.title.empty()) {
    auto* title = new QLabel(QString::fromStdString(plot.title), this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    title->setAlignment(Qt::AlignCenter);
    title->setTextFormat(Qt::PlainText);
    layout->addWidget(title);
  }
  layout->addWidget(table_);
}

}  // namespace glassbox::views
