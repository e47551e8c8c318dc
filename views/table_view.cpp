#include "views/table_view.h"

#include <QAbstractTableModel>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>
#include <set>

namespace glassbox::views {

namespace {

constexpr int kFitRowsLimit = 2000;  // more rows keep the default height (measuring each would take seconds)

// The plot's cells; the sort role is the number itself, NaN last.
class PlotTableModel : public QAbstractTableModel {
 public:
  PlotTableModel(const Plot& plot, QObject* parent) : QAbstractTableModel(parent), plot_(plot) {
    if (plot.shape.size() == 2) rows_ = static_cast<int>(plot.shape[0]), columns_ = static_cast<int>(plot.shape[1]);
  }
  int rowCount(const QModelIndex& parent) const override { return parent.isValid() ? 0 : rows_; }
  int columnCount(const QModelIndex& parent) const override { return parent.isValid() ? 0 : columns_; }
  QVariant data(const QModelIndex& index, int role) const override {
    const float v = plot_.at(index.row(), index.column());
    switch (role) {
      case Qt::DisplayRole: return value_text(v);
      case Qt::UserRole: return std::isnan(v) ? INFINITY : double(v);
      case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
      case Qt::ToolTipRole:
        return tooltip_text(QStringLiteral("%1  ·  %2  ·  %3")
                                .arg(axis_text(plot_.y, index.row()), axis_text(plot_.x, index.column()), value_text(v)));
      default: return {};
    }
  }
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override {
    if (role != Qt::DisplayRole) return {};
    return axis_text(orientation == Qt::Horizontal ? plot_.x : plot_.y, section);
  }

 private:
  const Plot& plot_;
  int rows_ = 0, columns_ = 0;
};

}  // namespace

TableView::TableView(PlotRef plot, QWidget* parent) : PlotView(std::move(plot), parent), table_(new QTableView(this)) {
  auto* sorted = new QSortFilterProxyModel(this);
  sorted->setSourceModel(new PlotTableModel(this->plot(), this));
  sorted->setSortRole(Qt::UserRole);
  table_->setModel(sorted);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->resizeColumnsToContents();
  if (sorted->rowCount() <= kFitRowsLimit) table_->resizeRowsToContents();
  table_->setSortingEnabled(true);
  table_->sortByColumn(-1, Qt::AscendingOrder);  // the plot's own order until a header is clicked
  route_context_menu(table_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  if (!this->plot().title.empty()) {
    auto* title = new QLabel(QString::fromStdString(this->plot().title), this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    title->setAlignment(Qt::AlignCenter);
    title->setTextFormat(Qt::PlainText);
    layout->addWidget(title);
  }
  layout->addWidget(table_);
}

QString TableView::values_tsv() const {
  const QModelIndexList selected = table_->selectionModel()->selectedIndexes();
  if (selected.isEmpty()) return PlotView::values_tsv();
  // The selection's rows in the order shown, its columns left to right.
  std::set<int> rows, columns;
  for (const QModelIndex& index : selected) rows.insert(index.row()), columns.insert(index.column());
  const QAbstractItemModel* model = table_->model();
  QStringList header = {QString()};
  for (int c : columns) header << model->headerData(c, Qt::Horizontal).toString();
  QStringList lines = {header.join('\t')};
  for (int r : rows) {
    QStringList line = {model->headerData(r, Qt::Vertical).toString()};
    for (int c : columns) {
      const QModelIndex index = model->index(r, c);
      line << (table_->selectionModel()->isSelected(index) ? model->data(index).toString() : QString());
    }
    lines << line.join('\t');
  }
  return lines.join('\n') + '\n';
}

void TableView::keyPressEvent(QKeyEvent* event) {
  if (event->matches(QKeySequence::Copy)) {
    QApplication::clipboard()->setText(values_tsv());
    return;
  }
  PlotView::keyPressEvent(event);
}

}  // namespace glassbox::views
