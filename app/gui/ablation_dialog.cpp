#include "app/gui/ablation_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

#include "app/gui/backend_interventions.h"
#include "core/error.h"

namespace glassbox::gui {

namespace {

using Kind = probes::EditSpec::Kind;

}  // namespace

AblationDialog::AblationDialog(const LoadedModel& model, const Prompt& prompt, const QString& dataset, QWidget* parent)
    : QDialog(parent),
      model_(model),
      prompt_(prompt),
      dataset_(dataset),
      heads_(new QLineEdit(this)),
      neurons_(new QLineEdit(this)),
      mode_(new QComboBox(this)),
      form_(new QFormLayout),
      mean_box_(new QWidget(this)),
      over_dataset_(new QRadioButton(mean_box_)),
      over_prompt_(new QRadioButton(tr("the prompt (every position)"), mean_box_)),
      resample_box_(new QWidget(this)),
      corrupted_(new QLineEdit(resample_box_)),
      counts_(new QLabel(resample_box_)),
      error_(new QLabel(this)) {
  setWindowTitle(tr("Ablate heads or neurons"));
  const ModelInfo& info = model.info;
  heads_->setPlaceholderText(tr("LAYER:HEAD, e.g. 9:6, 9:9"));
  heads_->setToolTip(tr("Heads as layer:head, comma-separated (layers 0–%1, heads 0–%2)")
                         .arg(info.n_layers - 1)
                         .arg(info.n_heads - 1));
  neurons_->setPlaceholderText(tr("LAYER:NEURON, e.g. 0:12"));
  neurons_->setToolTip(tr("MLP neurons as layer:index, comma-separated (indices 0–%1)").arg(info.d_mlp - 1));
  mode_->addItem(tr("zero: set the outputs to 0"), int(Kind::zero));
  mode_->addItem(tr("mean: replace them by their mean activation"), int(Kind::mean));
  mode_->addItem(tr("resample: take them from a corrupted prompt"), int(Kind::resample));

  over_dataset_->setText(dataset.isEmpty() ? tr("the data set (none chosen)")
                                           : tr("the data set %1").arg(QFileInfo(dataset).fileName()));
  over_dataset_->setEnabled(!dataset.isEmpty());
  (dataset.isEmpty() ? over_prompt_ : over_dataset_)->setChecked(true);
  auto* mean_layout = new QVBoxLayout(mean_box_);
  mean_layout->setContentsMargins(0, 0, 0, 0);
  mean_layout->addWidget(over_dataset_);
  mean_layout->addWidget(over_prompt_);

  corrupted_->setPlaceholderText(tr("e.g. the prompt with one name swapped"));
  corrupted_->setText(QString::fromStdString(prompt.text));
  counts_->setTextFormat(Qt::PlainText);
  auto* resample_layout = new QVBoxLayout(resample_box_);
  resample_layout->setContentsMargins(0, 0, 0, 0);
  resample_layout->addWidget(corrupted_);
  resample_layout->addWidget(counts_);

  error_->setObjectName("ablation_error");
  error_->setWordWrap(true);
  error_->setTextFormat(Qt::PlainText);
  error_->setStyleSheet("color: #b02a2a;");

  form_->addRow(tr("Heads:"), heads_);
  form_->addRow(tr("Neurons:"), neurons_);
  form_->addRow(tr("Mode:"), mode_);
  form_->addRow(tr("Mean over:"), mean_box_);
  form_->addRow(tr("Corrupted prompt:"), resample_box_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Add edit"));
  connect(buttons, &QDialogButtonBox::accepted, this, &AblationDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &AblationDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form_);
  layout->addWidget(error_);
  layout->addWidget(buttons);

  connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this, &AblationDialog::update_mode);
  connect(corrupted_, &QLineEdit::textChanged, this, &AblationDialog::update_counts);
  for (QLineEdit* edit : {heads_, neurons_, corrupted_})
    connect(edit, &QLineEdit::textChanged, error_, &QLabel::clear);
  update_mode();
  update_counts();
  resize(520, sizeHint().height());
}

void AblationDialog::set_heads(const QString& text) { heads_->setText(text); }
void AblationDialog::set_neurons(const QString& text) { neurons_->setText(text); }
void AblationDialog::set_mode(Kind kind) { mode_->setCurrentIndex(mode_->findData(int(kind))); }
void AblationDialog::set_corrupted_prompt(const QString& text) { corrupted_->setText(text); }
void AblationDialog::set_mean_over_prompt(bool prompt) { (prompt ? over_prompt_ : over_dataset_)->setChecked(true); }
QString AblationDialog::error() const { return error_->text(); }

void AblationDialog::update_mode() {
  const auto kind = Kind(mode_->currentData().toInt());
  form_->setRowVisible(mean_box_, kind == Kind::mean);
  form_->setRowVisible(resample_box_, kind == Kind::resample);
  error_->clear();
}

void AblationDialog::update_counts() {
  // Resampling replaces position by position, so both prompts need the same length.
  try {
    const size_t n = tokenize_prompt(*model_.model, corrupted_->text().toStdString(), prompt_.add_special_tokens).ids.size();
    counts_->setText(tr("%n token(s); the prompt has %1", nullptr, int(n)).arg(prompt_.ids.size()));
    counts_->setStyleSheet(n == prompt_.ids.size() ? "color: palette(dark);" : "color: #b02a2a;");
  } catch (const std::exception& e) {
    counts_->setText(QString::fromStdString(e.what()));
    counts_->setStyleSheet("color: #b02a2a;");
  }
}

std::optional<probes::EditSpec> AblationDialog::validate() {
  const ModelInfo& info = model_.info;
  probes::EditSpec spec;
  spec.kind = Kind(mode_->currentData().toInt());
  try {
    spec.heads = probes::parse_heads(heads_->text().toStdString(), info, "heads");
    spec.neurons = probes::parse_neurons(neurons_->text().toStdString(), info, "neurons");
    if (spec.heads.empty() && spec.neurons.empty())
      fail("ablation", "type the heads (LAYER:HEAD) or neurons (LAYER:NEURON) to ablate");
    if (spec.kind == Kind::mean && over_dataset_->isChecked()) {
      spec.source_tokens = dataset_prompts(*model_.model, dataset_.toStdString(), prompt_.add_special_tokens);
      spec.source = QFileInfo(dataset_).fileName().toStdString();
    } else if (spec.kind == Kind::mean) {
      if (prompt_.ids.empty()) fail("mean ablation", "type a prompt first, or average over a data set");
      spec.source_tokens = {prompt_.ids};
      spec.source = "the prompt";
    } else if (spec.kind == Kind::resample) {
      const Prompt corrupted = tokenize_prompt(*model_.model, corrupted_->text().toStdString(), prompt_.add_special_tokens);
      if (corrupted.ids.size() != prompt_.ids.size())
        fail("corrupted prompt", "it has " + std::to_string(corrupted.ids.size()) + " tokens and the prompt " +
                                     std::to_string(prompt_.ids.size()) +
                                     "; resampling replaces position by position, so they need the same count");
      spec.source_tokens = {corrupted.ids};
      spec.source = corrupted.text;
    }
  } catch (const std::exception& e) {
    error_->setText(QString::fromStdString(e.what()));
    return std::nullopt;
  }
  error_->clear();
  return spec;
}

void AblationDialog::accept() {
  edit_ = validate();
  if (edit_) QDialog::accept();
}

}  // namespace glassbox::gui
