#include "app/gui/analysis_tab.h"

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "views/plot_view.h"

namespace glassbox::gui {

namespace {
constexpr size_t kMaxPlotsSideBySide = 4;  // more plots get a selector
}

AnalysisTab::AnalysisTab(const probes::Analysis& analysis, QWidget* parent)
    : QWidget(parent), analysis_(analysis), status_(new QLabel(this)), results_(new QWidget(this)) {
  auto* description = new QLabel(QString::fromStdString(analysis.description), this);
  description->setWordWrap(true);
  description->setTextFormat(Qt::PlainText);
  status_->setTextFormat(Qt::PlainText);
  status_->setStyleSheet("color: palette(dark);");
  auto* header = new QHBoxLayout;
  header->addWidget(description, 1);
  header->addWidget(status_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(header);
  layout->addWidget(results_, 1);
  new QVBoxLayout(results_);
  results_->layout()->setContentsMargins(0, 0, 0, 0);
  show_message(tr("Not computed yet."));
}

void AnalysisTab::show_status(const QString& text) { status_->setText(text); }

views::PlotView* AnalysisTab::add_view(const Plot& plot, QWidget* parent) {
  views::PlotView* view = views::make_plot_view(plot, parent);
  view->set_meta(meta_);
  connect(view, &views::PlotView::hovered, this, &AnalysisTab::hovered);
  return view;
}

void AnalysisTab::set_content(QWidget* content) {
  delete content_;  // leaves the layout with it
  content_ = content;
  results_->layout()->addWidget(content_);
}

void AnalysisTab::show_message(const QString& message) {
  plots_.clear();
  auto* label = new QLabel(message, results_);
  label->setAlignment(Qt::AlignCenter);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  set_content(label);
}

void AnalysisTab::show_results(std::vector<Plot> plots, const PlotMeta& meta) {
  plots_ = std::move(plots);
  meta_ = meta;
  if (plots_.empty()) {
    show_message(tr("The analysis returned no plots."));
    return;
  }
  QWidget* content = nullptr;
  if (plots_.size() == 1) {
    content = add_view(plots_.front(), results_);
  } else if (plots_.size() == 2) {
    auto* splitter = new QSplitter(Qt::Horizontal, results_);
    for (const Plot& plot : plots_) splitter->addWidget(add_view(plot, splitter));
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    content = splitter;
  } else if (plots_.size() <= kMaxPlotsSideBySide) {
    content = new QWidget(results_);
    auto* grid = new QGridLayout(content);
    grid->setContentsMargins(0, 0, 0, 0);
    for (size_t i = 0; i < plots_.size(); ++i) grid->addWidget(add_view(plots_[i], content), int(i / 2), int(i % 2));
  } else {
    content = new QWidget(results_);
    auto* selector = new QComboBox(content);
    auto* stack = new QStackedWidget(content);
    for (const Plot& plot : plots_) {
      selector->addItem(QString::fromStdString(plot.title.empty() ? plot.name : plot.title));
      stack->addWidget(add_view(plot, stack));
    }
    connect(selector, qOverload<int>(&QComboBox::currentIndexChanged), stack, &QStackedWidget::setCurrentIndex);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Plot:"), content));
    row->addWidget(selector, 1);
    auto* column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 0, 0);
    column->addLayout(row);
    column->addWidget(stack, 1);
  }
  set_content(content);
}

}  // namespace glassbox::gui
