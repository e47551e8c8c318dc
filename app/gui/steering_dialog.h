#pragma once
// Interventions ▸ Steer…: a steering vector read from a file (a llama.cpp
// control vector .gguf, or .safetensors) or made from two prompts or two
// lists of them (the mean difference of their activations at a hook), added
// with a coefficient at all positions or some; Save writes the vector.
#include <QDialog>
#include <optional>

#include "app/gui/backend_interventions.h"
#include "app/gui/jobs.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace glassbox::gui {

class SteeringDialog : public QDialog {
  Q_OBJECT

 public:
  // Vectors are made on `jobs` (they run the model).
  SteeringDialog(const LoadedModel& model, bool add_special_tokens, JobRunner& jobs, QWidget* parent = nullptr);

  void set_layer(int layer);
  void set_hook_point(const QString& point);  // "resid_post", "resid_pre", ...
  void set_coefficient(double coefficient);
  void set_positions(const QString& text);     // "all" or "0, 3, -1"
  void set_prompts(const QString& towards, const QString& away);
  // Reads a vector file; its vector at the chosen hook (or its only one) is
  // used. False with error() on a bad file.
  bool load_file(const QString& path);
  // Makes the vector from the two prompt lists on the job runner; vector() holds it once done, else error().
  void make_vector();
  bool write_vector(const QString& path);  // false with error() when it cannot
  const std::optional<SteeringVector>& vector() const { return vector_; }
  // The edit typed, or nullopt with the problem shown.
  std::optional<probes::EditSpec> validate();
  QString error() const;
  const std::optional<probes::EditSpec>& chosen_edit() const { return edit_; }

 public slots:
  void accept() override;  // closes only when there is a vector and what is typed is valid

 private:
  std::string hook() const;
  void set_vector(std::optional<SteeringVector> vector);
  // The file's vector at hook(), or why there is none.
  void choose_from_file();
  void show_error(const QString& text);
  void update_source();

  const LoadedModel& model_;
  bool add_special_tokens_;
  JobRunner& jobs_;
  QRadioButton* from_prompts_;
  QRadioButton* from_file_;
  QWidget* prompts_box_;
  QPlainTextEdit* towards_;
  QPlainTextEdit* away_;
  QCheckBox* last_position_;
  QPushButton* make_;
  QWidget* file_box_;
  QLineEdit* file_;
  QSpinBox* layer_;
  QComboBox* point_;
  QDoubleSpinBox* coefficient_;
  QLineEdit* positions_;
  QLabel* vector_label_;
  QPushButton* save_;
  QLabel* error_;
  std::optional<SteeringVector> vector_;
  std::vector<SteeringVector> file_vectors_;  // every vector of the file read
  std::optional<probes::EditSpec> edit_;
  uint64_t request_ = 0;  // the newest vector being made
};

}  // namespace glassbox::gui
