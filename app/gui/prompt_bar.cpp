#include "app/gui/prompt_bar.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QScrollArea>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <utility>

namespace glassbox::gui {

namespace {

constexpr int kSettleMs = 350;  // typing pauses this long before the prompt is re-run

const char* const kChipStyle = R"(
QToolButton { border: 1px solid #b4c3d8; border-radius: 4px; background: #eef3fa; padding: 1px 5px; }
QToolButton[special="true"] { border-color: #d39b2a; background: #fcefd2; font-style: italic; }
QToolButton:hover { border-color: #4a7bbf; }
QToolButton:checked { background: #2f6fb5; border-color: #1f4f8a; color: white; }
)";

}  // namespace

PromptBar::PromptBar(QWidget* parent)
    : QWidget(parent),
      edit_(new QLineEdit(this)),
      special_(new QCheckBox(tr("Special tokens"), this)),
      count_(new QLabel(this)),
      chips_(new QWidget(this)),
      chips_layout_(new QHBoxLayout(chips_)),
      settle_(new QTimer(this)) {
  edit_->setPlaceholderText(tr("Type a prompt…"));
  edit_->setClearButtonEnabled(true);
  special_->setChecked(true);
  special_->setToolTip(tr("Apply the tokenizer's template (adds BOS where the model expects it)"));
  settle_->setSingleShot(true);
  settle_->setInterval(kSettleMs);

  chips_layout_->setContentsMargins(0, 0, 0, 0);
  chips_layout_->setSpacing(3);
  chips_layout_->addStretch(1);
  chips_->setStyleSheet(kChipStyle);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(chips_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setFixedHeight(chips_->sizeHint().height() + 30);

  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Prompt:"), this));
  row->addWidget(edit_, 1);
  row->addWidget(special_);
  row->addWidget(count_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 2);
  layout->addLayout(row);
  layout->addWidget(scroll);

  connect(edit_, &QLineEdit::textEdited, settle_, qOverload<>(&QTimer::start));
  connect(edit_, &QLineEdit::returnPressed, this, [this] {
    settle_->stop();
    emit prompt_changed();
  });
  connect(special_, &QCheckBox::toggled, this, &PromptBar::prompt_changed);
  connect(settle_, &QTimer::timeout, this, &PromptBar::prompt_changed);
}

QString PromptBar::text() const { return edit_->text(); }
bool PromptBar::add_special_tokens() const { return special_->isChecked(); }

void PromptBar::set_text(const QString& text) {
  edit_->setText(text);
  settle_->stop();
  emit prompt_changed();
}

void PromptBar::restore(const QString& text, bool add_special_tokens) {
  const QSignalBlocker block_special(special_);
  edit_->setText(text);
  special_->setChecked(add_special_tokens);
  settle_->stop();
}

void PromptBar::set_read_only(bool read_only) {
  edit_->setReadOnly(read_only);
  special_->setEnabled(!read_only);
}

void PromptBar::show_tokens(const Prompt& prompt) {
  for (QToolButton* chip : chip_buttons_) delete chip;
  chip_buttons_.clear();
  for (size_t i = 0; i < prompt.ids.size(); ++i) {
    auto* chip = new QToolButton(chips_);
    chip->setText(QString::fromStdString(prompt.labels[i]));
    chip->setCheckable(true);
    chip->setProperty("special", bool(prompt.special[i]));
    chip->setToolTip(tr("position %1 · id %2%3")
                         .arg(i)
                         .arg(prompt.ids[i])
                         .arg(prompt.special[i] ? tr(" · added by the template") : QString()));
    const int position = static_cast<int>(i);
    chip->installEventFilter(this);
    connect(chip, &QToolButton::clicked, this, [this, position] {
      const bool extend = std::exchange(shift_pressed_, false);
      if (extend && anchor_ >= 0) {
        select_span(std::min(anchor_, position), std::max(anchor_, position));
        return;
      }
      anchor_ = position;
      if (span_first_ <= span_last_) select_span(0, -1);
      emit token_clicked(position);
    });
    chips_layout_->insertWidget(static_cast<int>(i), chip);
    chip_buttons_.push_back(chip);
  }
  count_->setText(tr("%n token(s)", nullptr, static_cast<int>(prompt.ids.size())));
  anchor_ = -1;
  if (span_first_ <= span_last_) select_span(0, -1);
  check_chips();
}

void PromptBar::select_position(int position) {
  highlighted_ = position;
  check_chips();
}

void PromptBar::select_span(int first, int last) {
  const bool none = first > last;
  span_first_ = none ? 0 : first;
  span_last_ = none ? -1 : last;
  check_chips();
  emit span_changed(span_first_, span_last_);
}

void PromptBar::check_chips() {
  for (size_t i = 0; i < chip_buttons_.size(); ++i) {
    const int position = static_cast<int>(i);
    chip_buttons_[i]->setChecked(position == highlighted_ || (position >= span_first_ && position <= span_last_));
  }
}

int PromptBar::chip_index(QObject* chip) const {
  for (size_t i = 0; i < chip_buttons_.size(); ++i)
    if (chip_buttons_[i] == chip) return static_cast<int>(i);
  return -1;
}

bool PromptBar::eventFilter(QObject* watched, QEvent* event) {
  // A drag that starts on one chip and moves over others selects the span between them.
  if (event->type() == QEvent::MouseButtonPress) {
    const int index = chip_index(watched);
    shift_pressed_ = static_cast<QMouseEvent*>(event)->modifiers() & Qt::ShiftModifier;
    if (index >= 0 && !shift_pressed_) anchor_ = index;
  } else if (event->type() == QEvent::MouseMove && anchor_ >= 0) {
    const auto* move = static_cast<QMouseEvent*>(event);
    if (move->buttons() & Qt::LeftButton) {
      const int over = chip_index(chips_->childAt(chips_->mapFromGlobal(move->globalPosition().toPoint())));
      if (over >= 0 && over != anchor_ && !(span_first_ == std::min(over, anchor_) && span_last_ == std::max(over, anchor_)))
        select_span(std::min(anchor_, over), std::max(anchor_, over));
    }
  }
  return QWidget::eventFilter(watched, event);
}

void PromptBar::set_tokenizer_available(bool available) {
  special_->setEnabled(available);
  edit_->setPlaceholderText(available ? tr("Type a prompt…")
                                      : tr("This model has no tokenizer: type token ids, e.g. 0, 17, 42"));
}

}  // namespace glassbox::gui
