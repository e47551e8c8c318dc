#pragma once
// Where the user types a prompt; its tokens are shown as chips (special tokens
// such as BOS marked, ids on hover). Clicking a chip selects that position;
// Shift+click, or a drag across the chips, selects a span of positions that the
// views focus on.
#include <QWidget>
#include <vector>

#include "app/gui/backend.h"

class QCheckBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QTimer;
class QToolButton;

namespace glassbox::gui {

class PromptBar : public QWidget {
  Q_OBJECT

 public:
  explicit PromptBar(QWidget* parent = nullptr);

  QString text() const;
  bool add_special_tokens() const;
  void set_text(const QString& text);  // emits prompt_changed at once
  // A saved prompt back in the bar, without prompt_changed: nothing reruns.
  void restore(const QString& text, bool add_special_tokens);
  void set_read_only(bool read_only);
  void show_tokens(const Prompt& prompt);
  // Highlights the chip at an absolute position (none when out of range).
  void select_position(int position);
  // Selects positions [first, last] as the span (first > last: none) and emits span_changed.
  void select_span(int first, int last);
  int span_first() const { return span_first_; }
  int span_last() const { return span_last_; }
  // Without a tokenizer the prompt is typed as token ids.
  void set_tokenizer_available(bool available);

 signals:
  void prompt_changed();  // typing settles, Enter, or the special-token switch flips
  void token_clicked(int position);
  void span_changed(int first, int last);  // first > last: no span

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  QLineEdit* edit_;
  QCheckBox* special_;
  QLabel* count_;
  QWidget* chips_;
  QHBoxLayout* chips_layout_;
  QTimer* settle_;
  std::vector<QToolButton*> chip_buttons_;
  void check_chips();
  int chip_index(QObject* chip) const;  // -1 when it is not a chip
  int highlighted_ = -1;               // select_position's chip
  int anchor_ = -1;                    // where the last click or drag began
  bool shift_pressed_ = false;         // the chip being clicked was pressed with Shift
  int span_first_ = 0, span_last_ = -1;
};

}  // namespace glassbox::gui
