#include "app/gui_params_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace glassbox::gui {

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
  description_->setWordWrap(true);
  description_->setTextFormat(Qt::PlainText);
  description_->setStyleSheet("color: palette(dark);");
  form_->setContentsMargins(0, 0, 0, 0);
  form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
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
  values_ = {};
}

void ParamsPanel::show_analysis(const Analysis& analysis, const std::vector<ParamSpec>& specs,
                                const ParamValues& values) {
  clear_form();
  values_ = values;
  title_->setText(QString::fromStdString(analysis.name));
  description_->setText(QString::fromStdString(analysis.description));
  run_->setEnabled(true);
  if (specs.empty()) form_->addRow(new QLabel(tr("No parameters."), form_widget_));

  for (const ParamSpec& spec : specs) {
    const std::string key = spec.key;
    QWidget* editor = nullptr;
    switch (spec.type) {
      case ParamSpec::Type::integer: {
        auto* box = new QSpinBox(form_widget_);
        box->setRange(static_cast<int>(spec.min), static_cast<int>(spec.max));
        box->setValue(static_cast<int>(values.number(key)));
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this, [this, key](int v) {
          values_.numbers[key] = v;
          emit values_changed(values_);
        });
        editor = box;
        break;
      }
      case ParamSpec::Type::real: {
        auto* box = new QDoubleSpinBox(form_widget_);
        box->setRange(spec.min, spec.max);
        box->setDecimals(4);
        box->setSingleStep((spec.max - spec.min) / 100);
        box->setValue(values.number(key));
        connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, key](double v) {
          values_.numbers[key] = v;
          emit values_changed(values_);
        });
        editor = box;
        break;
      }
      case ParamSpec::Type::boolean: {
        auto* box = new QCheckBox(form_widget_);
        box->setChecked(values.flag(key));
        connect(box, &QCheckBox::toggled, this, [this, key](bool v) {
          values_.numbers[key] = v ? 1 : 0;
          emit values_changed(values_);
        });
        editor = box;
        break;
      }
      case ParamSpec::Type::choice: {
        auto* box = new QComboBox(form_widget_);
        for (const std::string& c : spec.choices) box->addItem(QString::fromStdString(c));
        box->setCurrentText(QString::fromStdString(values.text(key)));
        connect(box, &QComboBox::currentTextChanged, this, [this, key](const QString& v) {
          values_.texts[key] = v.toStdString();
          emit values_changed(values_);
        });
        editor = box;
        break;
      }
      case ParamSpec::Type::text: {
        auto* line = new QLineEdit(QString::fromStdString(values.text(key)), form_widget_);
        connect(line, &QLineEdit::editingFinished, this, [this, key, line] {
          const std::string v = line->text().toStdString();
          if (values_.texts[key] == v) return;
          values_.texts[key] = v;
          emit values_changed(values_);
        });
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
