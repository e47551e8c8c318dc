#include "app/gui/model_panel.h"

#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollBar>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <map>

namespace glassbox::gui {

namespace {

QString count_text(int64_t n) {
  if (n >= 1000000000) return QString::number(n / 1e9, 'f', 2) + "B";
  if (n >= 1000000) return QString::number(n / 1e6, 'f', 2) + "M";
  if (n >= 10000) return QString::number(n / 1e3, 'f', 1) + "K";
  return QString::number(n);
}

}  // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent), name_(new QLabel(this)), tree_(new QTreeWidget(this)) {
  QFont bold = name_->font();
  bold.setBold(true);
  bold.setPointSizeF(bold.pointSizeF() * 1.15);
  name_->setFont(bold);
  name_->setWordWrap(true);
  name_->setTextFormat(Qt::PlainText);
  tree_->setColumnCount(2);
  tree_->setHeaderLabels({tr("Property"), tr("Value")});
  // Both columns as wide as their text: a long value (model_type, a path) scrolls rather than being cut.
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  tree_->header()->setStretchLastSection(false);
  tree_->setAlternatingRowColors(true);
  tree_->setUniformRowHeights(true);
  connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
    const QString hook = item->data(0, Qt::UserRole).toString();
    if (!hook.isEmpty()) emit hook_activated(hook);
  });
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(name_);
  layout->addWidget(tree_);
  clear();
}

int ModelPanel::content_width() const {
  const QMargins margins = layout()->contentsMargins();
  return tree_->header()->sectionSize(0) + tree_->header()->sectionSize(1) + 2 * tree_->frameWidth() +
         tree_->verticalScrollBar()->sizeHint().width() + margins.left() + margins.right();
}

void ModelPanel::clear() {
  name_->setText(tr("No model"));
  tree_->clear();
}

void ModelPanel::show_model(const LoadedModel& loaded) {
  const ModelInfo& m = loaded.info;
  tree_->clear();
  name_->setText(QDir(QString::fromStdString(loaded.dir)).dirName());
  name_->setToolTip(QString::fromStdString(loaded.dir));

  auto* architecture = new QTreeWidgetItem(tree_, {tr("Architecture")});
  auto add = [architecture](const QString& key, const QString& value) {
    auto* item = new QTreeWidgetItem(architecture, {key, value});
    item->setToolTip(1, value);
  };
  add(tr("family"), QString::fromStdString(m.family));
  if (m.model_type != m.family) add(tr("model_type"), QString::fromStdString(m.model_type));
  add(tr("layers"), QString::number(m.n_layers));
  add(tr("heads"), m.n_kv_heads && m.n_kv_heads != m.n_heads
                       ? tr("%1 (%2 key/value)").arg(m.n_heads).arg(m.n_kv_heads)
                       : QString::number(m.n_heads));
  add(tr("d_model"), QString::number(m.d_model));
  add(tr("d_head"), QString::number(m.d_head));
  add(tr("d_mlp"), QString::number(m.d_mlp));
  add(tr("vocab"), QLocale().toString(static_cast<qlonglong>(m.d_vocab)));
  if (m.n_ctx) add(tr("context"), QLocale().toString(static_cast<qlonglong>(m.n_ctx)));
  add(tr("parameters"), count_text(m.n_params));
  add(tr("norm"), QString::fromStdString(m.norm));
  add(tr("positional"), m.positional == "rotary" ? tr("rotary (%1 dims)").arg(m.rotary_dim)
                                                 : QString::fromStdString(m.positional));
  add(tr("MLP"), (m.gated_mlp ? tr("gated, ") : QString()) + QString::fromStdString(m.act));
  if (m.transformer) add(tr("residual"), m.parallel_residual ? tr("parallel") : tr("sequential"));
  if (m.transformer) add(tr("unembedding"), m.tied_embeddings ? tr("tied") : tr("separate"));
  add(tr("weights"), QString::fromStdString(m.weights_dtype));
  add(tr("compute"), QString::fromStdString(loaded.device + ", " + loaded.dtype));
  add(tr("tokenizer"), loaded.has_tokenizer ? tr("yes") : tr("none"));
  architecture->setExpanded(true);
  if (!m.nonfinite_weights.empty()) {
    auto* faulty = new QTreeWidgetItem(tree_, {tr("⚠ NaN/Inf in weights"), QString::number(m.nonfinite_weights.size())});
    faulty->setToolTip(0, tr("These tensors hold NaN or Inf: activations computed from them will too"));
    for (const std::string& name : m.nonfinite_weights) new QTreeWidgetItem(faulty, {QString::fromStdString(name)});
    faulty->setExpanded(true);
  }

  // Hooks grouped by block, in forward order; global hooks at the top level.
  auto* hooks = new QTreeWidgetItem(tree_, {tr("Hook points"), QString::number(m.hook_names.size())});
  std::map<int, QTreeWidgetItem*> blocks;
  for (const std::string& name : m.hook_names) {
    const QString text = QString::fromStdString(name);
    QTreeWidgetItem* parent = hooks;
    if (text.startsWith("blocks.")) {
      const int layer = text.section('.', 1, 1).toInt();
      auto [it, added] = blocks.try_emplace(layer, nullptr);
      if (added) it->second = new QTreeWidgetItem(hooks, {QStringLiteral("blocks.%1").arg(layer)});
      parent = it->second;
    }
    auto* item = new QTreeWidgetItem(parent, {text});
    item->setData(0, Qt::UserRole, text);
    item->setToolTip(0, tr("%1\nDouble-click (or Enter) to show this activation for the prompt").arg(text));
  }
  for (auto& [layer, item] : blocks) item->setText(1, QString::number(item->childCount()));
  hooks->setExpanded(true);
  tree_->header()->resizeSections(QHeaderView::ResizeToContents);
}

}  // namespace glassbox::gui
