#include "app/gui/edits_bar.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QStringList>
#include <QToolButton>
#include <algorithm>
#include <cmath>

namespace glassbox::gui {

namespace {

// Chips of edits that are on are blue like the prompt's selected token; off, grey and struck through.
const char* const kChipStyle = R"(
QFrame#edit_chip { border: 1px solid #7d9cc8; border-radius: 4px; background: #e3ecf8; }
QFrame#edit_chip[off="true"] { border-color: #c2c2c2; background: #f2f2f2; }
QFrame#edit_chip[off="true"] QCheckBox { color: #8a8a8a; text-decoration: line-through; }
QFrame#edit_chip QToolButton { border: none; padding: 0 2px; }
QFrame#edit_chip QToolButton:hover { color: #b02a2a; }
)";

QString joined(const QStringList& items) { return items.isEmpty() ? QObject::tr("none") : items.join(", "); }

}  // namespace

QString edit_details(const probes::EditSpec& edit) {
  using Kind = probes::EditSpec::Kind;
  QStringList lines;
  if (edit.kind == Kind::steer) {
    double norm = 0;
    for (float v : edit.vector) norm += double(v) * v;
    QStringList positions;
    for (int64_t p : edit.positions) positions << QString::number(p);
    lines << QObject::tr("Steering: adds %1 × the vector to %2").arg(edit.coefficient).arg(QString::fromStdString(edit.hook))
          << QObject::tr("vector: %1 (%2 values, norm %3)")
                 .arg(edit.name.empty() ? QObject::tr("unnamed") : QString::fromStdString(edit.name))
                 .arg(edit.vector.size())
                 .arg(std::sqrt(norm), 0, 'g', 4)
          << QObject::tr("positions: %1").arg(positions.isEmpty() ? QObject::tr("all") : positions.join(", "));
  } else {
    QStringList heads, neurons;
    for (const probes::HeadRef& h : edit.heads) heads << QString::fromStdString(probes::head_label(h));
    for (const probes::NeuronRef& n : edit.neurons) neurons << QString("L%1N%2").arg(n.layer).arg(n.neuron);
    const QString source = QString::fromStdString(edit.source);
    const QString what = edit.kind == Kind::zero ? QObject::tr("Zero ablation: the outputs are set to 0")
                         : edit.kind == Kind::mean
                             ? QObject::tr("Mean ablation: the outputs are replaced by their mean over %1 (%n prompt(s))",
                                           nullptr, int(edit.source_tokens.size()))
                                   .arg(source)
                             : QObject::tr("Resample ablation: the outputs are taken from “%1”, position by position")
                                   .arg(source);
    lines << what << QObject::tr("heads: %1").arg(joined(heads)) << QObject::tr("neurons: %1").arg(joined(neurons));
  }
  if (!edit.enabled) lines << QObject::tr("(off: runs ignore it)");
  return lines.join("\n");
}

EditsBar::EditsBar(QWidget* parent)
    : QWidget(parent),
      chips_(new QWidget(this)),
      chips_layout_(new QHBoxLayout(chips_)),
      empty_(new QLabel(tr("none: analyses run on the unedited model"), this)),
      note_(new QLabel(this)),
      ablate_(new QToolButton(this)),
      steer_(new QToolButton(this)) {
  chips_->setStyleSheet(kChipStyle);
  chips_layout_->setContentsMargins(0, 0, 0, 0);
  chips_layout_->setSpacing(4);
  empty_->setStyleSheet("color: palette(dark);");
  note_->setTextFormat(Qt::PlainText);
  ablate_->setText(tr("Ablate…"));
  ablate_->setToolTip(tr("Ablate heads or neurons (zero, mean or resample); Ctrl+click a layer × head heatmap cell "
                         "to zero-ablate that head"));
  steer_->setText(tr("Steer…"));
  steer_->setToolTip(tr("Add a steering vector to the residual stream"));
  connect(ablate_, &QToolButton::clicked, this, &EditsBar::ablate_requested);
  connect(steer_, &QToolButton::clicked, this, &EditsBar::steer_requested);

  auto* scroll = new QScrollArea(this);
  scroll->setWidget(chips_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setFixedHeight(30);
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(6, 0, 6, 4);
  row->addWidget(new QLabel(tr("Edits:"), this));
  row->addWidget(empty_);
  row->addWidget(scroll, 1);
  row->addWidget(note_);
  row->addWidget(ablate_);
  row->addWidget(steer_);
  rebuild_chips();
}

void EditsBar::restore(std::vector<probes::EditSpec> edits) {
  edits_ = std::move(edits);
  rebuild_chips();
}

void EditsBar::add_edit(probes::EditSpec edit) {
  edits_.push_back(std::move(edit));
  rebuild_chips();
  emit edits_changed();
}

void EditsBar::ablate_head(const probes::HeadRef& head) {
  auto chip = std::find_if(edits_.rbegin(), edits_.rend(), [](const probes::EditSpec& e) {
    return e.kind == probes::EditSpec::Kind::zero && e.enabled && !e.heads.empty();
  });
  if (chip == edits_.rend()) {
    probes::EditSpec edit;
    edit.heads = {head};
    add_edit(std::move(edit));
    return;
  }
  const bool present = std::any_of(chip->heads.begin(), chip->heads.end(), [&](const probes::HeadRef& h) {
    return h.layer == head.layer && h.head == head.head;
  });
  if (present) return;
  chip->heads.push_back(head);
  rebuild_chips();
  emit edits_changed();
}

void EditsBar::set_enabled_at(int index, bool enabled) {
  if (index < 0 || index >= int(edits_.size()) || edits_[size_t(index)].enabled == enabled) return;
  edits_[size_t(index)].enabled = enabled;
  rebuild_chips();
  emit edits_changed();
}

void EditsBar::remove_at(int index) {
  if (index < 0 || index >= int(edits_.size())) return;
  edits_.erase(edits_.begin() + index);
  rebuild_chips();
  emit edits_changed();
}

void EditsBar::set_note(const QString& text, bool error) {
  note_->setText(text);
  note_->setStyleSheet(error ? "color: #b02a2a;" : "color: palette(dark);");
  note_->setToolTip(error ? text : QString());
}

void EditsBar::set_read_only(bool read_only) {
  read_only_ = read_only;
  ablate_->setEnabled(!read_only);
  steer_->setEnabled(!read_only);
  rebuild_chips();
}

QWidget* EditsBar::make_chip(int index) {
  const probes::EditSpec& edit = edits_[size_t(index)];
  auto* chip = new QFrame(chips_);
  chip->setObjectName("edit_chip");
  chip->setProperty("off", !edit.enabled);
  chip->setToolTip(edit_details(edit));
  auto* toggle = new QCheckBox(QString::fromStdString(edit.label()), chip);
  toggle->setChecked(edit.enabled);
  toggle->setToolTip(tr("On: runs use this edit; off: they ignore it"));
  toggle->setEnabled(!read_only_);
  auto* remove = new QToolButton(chip);
  remove->setText("✕");
  remove->setToolTip(tr("Remove this edit"));
  remove->setEnabled(!read_only_);
  auto* layout = new QHBoxLayout(chip);
  layout->setContentsMargins(5, 1, 1, 1);
  layout->setSpacing(2);
  layout->addWidget(toggle);
  layout->addWidget(remove);
  // Queued: the chip is rebuilt (deleted) by the change.
  connect(toggle, &QCheckBox::toggled, this,
          [this, index](bool on) { set_enabled_at(index, on); }, Qt::QueuedConnection);
  connect(remove, &QToolButton::clicked, this, [this, index] { remove_at(index); }, Qt::QueuedConnection);
  return chip;
}

void EditsBar::rebuild_chips() {
  while (QLayoutItem* item = chips_layout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  for (int i = 0; i < int(edits_.size()); ++i) chips_layout_->addWidget(make_chip(i));
  chips_layout_->addStretch(1);
  empty_->setVisible(edits_.empty());
}

}  // namespace glassbox::gui
