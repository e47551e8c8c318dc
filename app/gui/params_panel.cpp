#include "app/gui/params_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "views/folders.h"

namespace glassbox::gui {

using probes::ParamSpec;
using probes::ParamType;

ParamsPanel::ParamsPanel(QWidget* parent)
    : QWidget(parent),
      title_(new QLabel(this)),
      description_(new QLabel(this)),
      form_widget_(new QWidget(this)),
      form_(new QFormLayout(form_widget_)),
      run_(new QPushButton(tr("Run"), this)) {
  QFont bold = title_->font();
  bold.setBold(true);
  title_->setFont(bold);
  title_->setWordWrap(true);
  description_->setWordWrap(true);
  description_->setTextFormat(Qt::PlainText);
  description_->setStyleSheet("color: palette(dark);");
  form_->setContentsMargins(0, 0, 0, 0);
  form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form_->setRowWrapPolicy(QFormLayout::WrapLongRows);
  run_->setDefault(true);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 8, 8, 8);
  layout->addWidget(title_);
  layout->addWidget(description_);
  layout->addSpacing(6);
  layout->addWidget(form_widget_);
  layout->addWidget(run_);
  layout->addStretch(1);
  connect(run_, &QPushButton::clicked, this, &ParamsPanel::run_requested);
  clear(tr("No analysis selected"));
}

void ParamsPanel::clear_form() {
  while (form_->rowCount() > 0) form_->removeRow(0);
  editors_.clear();
}

void ParamsPanel::clear(const QString& message) {
  clear_form();
  title_->setText(message);
  description_->clear();
  run_->setEnabled(false);
  inputs_ = {};
}

void ParamsPanel::set_input(const std::string& key, const std::string& text) {
  probes::ParamInput& input = inputs_[key];
  if (input.text == text) return;
  input.text = text;
  emit inputs_changed(inputs_);
}

QWidget* ParamsPanel::dataset_editor(const QString& path, probes::DatasetKind kind) {
  auto* row = new QWidget(form_widget_);
  auto* line = new QLineEdit(path, row);
  auto* browse = new QPushButton(tr("Browse…"), row);
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(line, 1);
  layout->addWidget(browse);
  connect(line, &QLineEdit::editingFinished, this, [this, line] { emit dataset_changed(line->text()); });
  connect(browse, &QPushButton::clicked, this, [this, line] {
    const QString start = line->text().isEmpty() ? views::remembered_folder("dataset", QDir::homePath()) : line->text();
    const QString file = QFileDialog::getOpenFileName(this, tr("Data set"), start, tr("CSV (*.csv)"));
    if (file.isEmpty()) return;
    views::remember_folder("dataset", file);
    line->setText(file);
    emit dataset_changed(file);
  });
  line->setToolTip(QString::fromStdString(probes::dataset_description(kind)));
  line->setPlaceholderText(kind == probes::DatasetKind::prompt_pairs ? tr("none: the prompt") : tr("none"));
  return row;
}

void ParamsPanel::show_analysis(const probes::Analysis& analysis, const std::vector<ParamSpec>& specs,
                                const probes::ParamInputs& inputs, const QString& dataset, bool token_text) {
  clear_form();
  inputs_ = inputs;
  token_text_ = token_text;
  title_->setText(QString::fromStdString(analysis.title));
  description_->setText(QString::fromStdString(analysis.description));
  run_->setEnabled(true);
  if (analysis.needs.dataset != probes::Need::none) form_->addRow(tr("Data set"), dataset_editor(dataset, analysis.needs.dataset_kind));
  if (specs.empty() && analysis.needs.dataset == probes::Need::none)
    form_->addRow(new QLabel(tr("No parameters."), form_widget_));

  for (const ParamSpec& spec : specs) {
    const std::string key = spec.name;
    const std::string text = inputs_.count(key) ? inputs_.at(key).text : spec.default_input();
    inputs_[key] = {text, spec.type == ParamType::token && token_text_};
    QWidget* editor = nullptr;
    switch (spec.type) {
      case ParamType::integer:
      case ParamType::position: {
        auto* box = new QSpinBox(form_widget_);
        box->setRange(static_cast<int>(spec.min), static_cast<int>(spec.max));
        box->setValue(QString::fromStdString(text).toInt());
        if (spec.type == ParamType::position) box->setSpecialValueText(tr("last"));
        if (spec.type == ParamType::position) box->setMinimum(-1);
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this,
                [this, key](int v) { set_input(key, std::to_string(v)); });
        editor = box;
        break;
      }
      case ParamType::real: {
        auto* box = new QDoubleSpinBox(form_widget_);
        box->setRange(spec.min, spec.max);
        box->setDecimals(4);
        box->setSingleStep(std::min(1.0, (spec.max - spec.min) / 100));
        box->setValue(QString::fromStdString(text).toDouble());
        connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
                [this, key](double v) { set_input(key, QString::number(v, 'g', 10).toStdString()); });
        editor = box;
        break;
      }
      case ParamType::boolean: {
        auto* box = new QCheckBox(form_widget_);
        box->setChecked(text == "true" || text == "1");
        connect(box, &QCheckBox::toggled, this, [this, key](bool v) { set_input(key, v ? "true" : "false"); });
        editor = box;
        break;
      }
      case ParamType::choice: {
        auto* box = new QComboBox(form_widget_);
        for (const std::string& c : spec.choices) box->addItem(QString::fromStdString(c));
        box->setCurrentText(QString::fromStdString(text));
        connect(box, &QComboBox::currentTextChanged, this,
                [this, key](const QString& v) { set_input(key, v.toStdString()); });
        editor = box;
        break;
      }
      default: {
        auto* line = new QLineEdit(QString::fromStdString(text), form_widget_);
        QString placeholder;
        if (spec.type == ParamType::token) placeholder = token_text_ ? tr("one token, e.g. ␣Paris") : tr("token id");
        else if (spec.type != ParamType::text) placeholder = QString::fromStdString(spec.type_name());
        line->setPlaceholderText(placeholder);
        connect(line, &QLineEdit::editingFinished, this,
                [this, key, line] { set_input(key, line->text().toStdString()); });
        editor = line;
        break;
      }
    }
    editor->setToolTip(QString::fromStdString(spec.help));
    auto* label = new QLabel(QString::fromStdString(spec.label), form_widget_);
    label->setToolTip(QString::fromStdString(spec.help));
    form_->addRow(label, editor);
    editors_[key] = editor;
  }
}

bool ParamsPanel::set_number(const std::string& key, double value) {
  auto it = editors_.find(key);
  if (it == editors_.end()) return false;
  if (auto* box = qobject_cast<QSpinBox*>(it->second)) {
    box->setValue(static_cast<int>(value));
    return true;
  }
  if (auto* box = qobject_cast<QDoubleSpinBox*>(it->second)) {
    box->setValue(value);
    return true;
  }
  return false;
}

}  // namespace glassbox::gui
