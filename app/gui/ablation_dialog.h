#pragma once
// Interventions ▸ Ablate…: heads ("9:6, 9:9") and neurons ("0:12") of the
// model, zero-, mean- (over the window's data set or the prompt) or
// resample-ablated (from a corrupted prompt of the prompt's length). The
// dialog stays open with one clear message until what is typed is valid.
#include <QDialog>
#include <optional>

#include "app/gui/backend.h"

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace glassbox::gui {

class AblationDialog : public QDialog {
  Q_OBJECT

 public:
  // `dataset`: the window's data set file (empty: none), for mean ablations.
  AblationDialog(const LoadedModel& model, const Prompt& prompt, const QString& dataset, QWidget* parent = nullptr);

  void set_heads(const QString& text);
  void set_neurons(const QString& text);
  void set_mode(probes::EditSpec::Kind kind);  // zero, mean or resample
  void set_corrupted_prompt(const QString& text);
  void set_mean_over_prompt(bool prompt);      // false: over the data set
  // The edit typed, or nullopt with the problem shown (error() returns it).
  std::optional<probes::EditSpec> validate();
  QString error() const;
  // The edit of an accepted dialog.
  const std::optional<probes::EditSpec>& chosen_edit() const { return edit_; }

 public slots:
  void accept() override;  // closes only when what is typed is valid

 private:
  void update_mode();
  void update_counts();

  const LoadedModel& model_;
  Prompt prompt_;
  QString dataset_;
  QLineEdit* heads_;
  QLineEdit* neurons_;
  QComboBox* mode_;
  QFormLayout* form_;
  QWidget* mean_box_;
  QRadioButton* over_dataset_;
  QRadioButton* over_prompt_;
  QWidget* resample_box_;
  QLineEdit* corrupted_;
  QLabel* counts_;
  QLabel* error_;
  std::optional<probes::EditSpec> edit_;
};

}  // namespace glassbox::gui
