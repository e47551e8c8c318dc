#pragma once
// Where the user types a prompt; its tokens are shown as chips (special tokens
// such as BOS marked, ids on hover). Clicking a chip selects that position.
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
  // Without a tokenizer the prompt is typed as token ids.
  void set_tokenizer_available(bool available);

 signals:
  void prompt_changed();  // typing settles, Enter, or the special-token switch flips
  void token_clicked(int position);

 private:
  QLineEdit* edit_;
  QCheckBox* special_;
  QLabel* count_;
  QWidget* chips_;
  QHBoxLayout* chips_layout_;
  QTimer* settle_;
  std::vector<QToolButton*> chip_buttons_;
};

}  // namespace glassbox::gui
