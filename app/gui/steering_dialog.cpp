#include "app/gui/steering_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

#include "core/error.h"
#include "core/hooks.h"
#include "views/folders.h"

namespace glassbox::gui {

namespace {

const char* const kVectorFilter = "Steering vectors (*.gguf *.safetensors);;llama.cpp control vectors (*.gguf);;"
                                  "safetensors (*.safetensors)";

// The lines of a text box that hold something: one prompt each.
std::vector<std::string> prompt_lines(const QPlainTextEdit* box) {
  std::vector<std::string> lines;
  for (const QString& line : box->toPlainText().split('\n'))
    if (!line.trimmed().isEmpty()) lines.push_back(line.toStdString());
  return lines;
}

double norm(const std::vector<float>& values) {
  double sum = 0;
  for (float v : values) sum += double(v) * v;
  return std::sqrt(sum);
}

}  // namespace

SteeringDialog::SteeringDialog(const LoadedModel& model, bool add_special_tokens, JobRunner& jobs, QWidget* parent)
    : QDialog(parent),
      model_(model),
      add_special_tokens_(add_special_tokens),
      jobs_(jobs),
      from_prompts_(new QRadioButton(tr("Made from two prompts (or two lists, one prompt per line)"), this)),
      from_file_(new QRadioButton(tr("Read from a file (.gguf control vector or .safetensors)"), this)),
      prompts_box_(new QWidget(this)),
      towards_(new QPlainTextEdit(prompts_box_)),
      away_(new QPlainTextEdit(prompts_box_)),
      last_position_(new QCheckBox(tr("last token only"), prompts_box_)),
      make_(new QPushButton(tr("Make vector"), prompts_box_)),
      file_box_(new QWidget(this)),
      file_(new QLineEdit(file_box_)),
      layer_(new QSpinBox(this)),
      point_(new QComboBox(this)),
      coefficient_(new QDoubleSpinBox(this)),
      positions_(new QLineEdit(this)),
      vector_label_(new QLabel(this)),
      save_(new QPushButton(tr("Save vector…"), this)),
      error_(new QLabel(this)) {
  setWindowTitle(tr("Steer the residual stream"));
  const ModelInfo& info = model.info;
  towards_->setPlaceholderText(tr("Towards, e.g. Love"));
  away_->setPlaceholderText(tr("Away from, e.g. Hate"));
  for (QPlainTextEdit* box : {towards_, away_}) box->setFixedHeight(70);
  make_->setToolTip(tr("The mean activation at the hook over the first list minus that over the second "
                       "(each prompt's positions averaged)"));
  auto* prompts_layout = new QGridLayout(prompts_box_);
  prompts_layout->setContentsMargins(18, 0, 0, 0);
  prompts_layout->addWidget(new QLabel(tr("Towards:"), prompts_box_), 0, 0);
  prompts_layout->addWidget(new QLabel(tr("Away from:"), prompts_box_), 0, 1);
  prompts_layout->addWidget(towards_, 1, 0);
  prompts_layout->addWidget(away_, 1, 1);
  last_position_->setToolTip(tr("Each prompt's activation at its last token instead of its mean over the tokens"));
  prompts_layout->addWidget(last_position_, 2, 0);
  prompts_layout->addWidget(make_, 2, 1, Qt::AlignRight);

  file_->setReadOnly(true);
  file_->setPlaceholderText(tr("no file chosen"));
  auto* browse = new QPushButton(tr("Browse…"), file_box_);
  auto* file_layout = new QHBoxLayout(file_box_);
  file_layout->setContentsMargins(18, 0, 0, 0);
  file_layout->addWidget(file_, 1);
  file_layout->addWidget(browse);

  layer_->setRange(0, int(info.n_layers) - 1);
  layer_->setValue(int(info.n_layers) / 2);
  for (const char* point : {"resid_post", "resid_pre", "resid_mid", "attn_out", "mlp_out"}) point_->addItem(point);
  point_->setToolTip(tr("Where in block LAYER the vector is added (resid_post: the block's output)"));
  coefficient_->setRange(-1000, 1000);
  coefficient_->setDecimals(2);
  coefficient_->setValue(4);
  coefficient_->setToolTip(tr("The vector is multiplied by it before it is added"));
  positions_->setText("all");
  positions_->setToolTip(tr("all, or token positions (negative count from the end), e.g. 0, 3, -1"));
  vector_label_->setTextFormat(Qt::PlainText);
  vector_label_->setStyleSheet("color: palette(dark);");
  save_->setToolTip(tr("Write the vector as a llama.cpp control vector (.gguf) or .safetensors"));
  error_->setObjectName("steering_error");
  error_->setWordWrap(true);
  error_->setTextFormat(Qt::PlainText);
  error_->setStyleSheet("color: #b02a2a;");

  auto* hook_row = new QHBoxLayout;
  hook_row->addWidget(new QLabel(tr("block"), this));
  hook_row->addWidget(layer_);
  hook_row->addWidget(point_, 1);
  auto* vector_row = new QHBoxLayout;
  vector_row->addWidget(vector_label_, 1);
  vector_row->addWidget(save_);
  auto* form = new QFormLayout;
  form->addRow(tr("Hook:"), hook_row);
  form->addRow(tr("Coefficient:"), coefficient_);
  form->addRow(tr("Positions:"), positions_);
  form->addRow(tr("Vector:"), vector_row);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Add edit"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(from_prompts_);
  layout->addWidget(prompts_box_);
  layout->addWidget(from_file_);
  layout->addWidget(file_box_);
  layout->addLayout(form);
  layout->addWidget(error_);
  layout->addWidget(buttons);

  from_prompts_->setChecked(true);
  connect(from_prompts_, &QRadioButton::toggled, this, &SteeringDialog::update_source);
  connect(make_, &QPushButton::clicked, this, &SteeringDialog::make_vector);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open steering vector"), views::remembered_folder("steering", QDir::homePath()), tr(kVectorFilter));
    if (path.isEmpty()) return;
    views::remember_folder("steering", path);
    load_file(path);
  });
  connect(save_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save steering vector"), views::remembered_path("steering", "steering.gguf", QDir::homePath()),
        tr(kVectorFilter));
    if (path.isEmpty()) return;
    views::remember_folder("steering", path);
    write_vector(path);
  });
  // A vector belongs to the hook it was made or read at; a file may have one for the new hook.
  auto hook_changed = [this] {
    if (from_file_->isChecked() && !file_vectors_.empty())
      choose_from_file();
    else if (vector_ && vector_->hook != hook())
      set_vector(std::nullopt);
  };
  connect(layer_, qOverload<int>(&QSpinBox::valueChanged), this, hook_changed);
  connect(point_, qOverload<int>(&QComboBox::currentIndexChanged), this, hook_changed);
  connect(buttons, &QDialogButtonBox::accepted, this, &SteeringDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &SteeringDialog::reject);
  update_source();
  set_vector(std::nullopt);
  resize(620, sizeHint().height());
}

void SteeringDialog::set_layer(int layer) { layer_->setValue(layer); }
void SteeringDialog::set_hook_point(const QString& point) { point_->setCurrentText(point); }
void SteeringDialog::set_coefficient(double coefficient) { coefficient_->setValue(coefficient); }
void SteeringDialog::set_positions(const QString& text) { positions_->setText(text); }
void SteeringDialog::set_prompts(const QString& towards, const QString& away) {
  towards_->setPlainText(towards);
  away_->setPlainText(away);
}
QString SteeringDialog::error() const { return error_->text(); }

std::string SteeringDialog::hook() const {
  Hook h = Hook::resid_post;
  int layer = 0;
  parse_hook_name("blocks.0.hook_" + point_->currentText().toStdString(), &h, &layer);
  return hook_name(h, layer_->value());
}

void SteeringDialog::update_source() {
  const bool prompts = from_prompts_->isChecked();
  prompts_box_->setEnabled(prompts);
  file_box_->setEnabled(!prompts);
}

void SteeringDialog::show_error(const QString& text) { error_->setText(text); }

void SteeringDialog::set_vector(std::optional<SteeringVector> vector) {
  vector_ = std::move(vector);
  save_->setEnabled(vector_.has_value());
  vector_label_->setText(vector_ ? tr("%1 at %2 (norm %3)")
                                       .arg(QString::fromStdString(vector_->name), QString::fromStdString(vector_->hook))
                                       .arg(norm(vector_->values), 0, 'g', 4)
                                 : tr("none yet: make one or read a file"));
}

bool SteeringDialog::load_file(const QString& path) {
  from_file_->setChecked(true);
  file_->setText(path);
  try {
    file_vectors_ = read_steering_vectors_for_gui(model_.info, path.toStdString());
  } catch (const std::exception& e) {
    file_vectors_.clear();
    set_vector(std::nullopt);
    show_error(QString::fromStdString(e.what()));
    return false;
  }
  if (file_vectors_.size() == 1) {
    // Its only vector: the hook follows it.
    const std::string& name = file_vectors_.front().hook;
    const QSignalBlocker block_layer(layer_), block_point(point_);
    layer_->setValue(file_vectors_.front().layer);
    point_->setCurrentText(QString::fromStdString(name.substr(name.rfind("hook_") + 5)));
  }
  choose_from_file();
  return vector_.has_value();
}

void SteeringDialog::choose_from_file() {
  QStringList hooks;
  for (const SteeringVector& v : file_vectors_) {
    if (v.hook == hook()) {
      set_vector(v);
      error_->clear();
      return;
    }
    hooks << QString::fromStdString(v.hook);
  }
  set_vector(std::nullopt);
  show_error(tr("%1 has no vector at %2; it has %3.")
                 .arg(QFileInfo(file_->text()).fileName(), QString::fromStdString(hook()), hooks.join(", ")));
}

void SteeringDialog::make_vector() {
  from_prompts_->setChecked(true);
  const std::vector<std::string> towards = prompt_lines(towards_), away = prompt_lines(away_);
  if (towards.empty() || away.empty()) {
    show_error(tr("Type at least one prompt on each side."));
    return;
  }
  std::shared_ptr<const Model> model = model_.model;
  const std::string at = hook();
  const bool special = add_special_tokens_, last_only = last_position_->isChecked();
  const uint64_t id = ++request_;
  error_->clear();
  vector_label_->setText(tr("making…"));
  make_->setEnabled(false);
  QPointer<SteeringDialog> self(this);  // the dialog may close while the job runs
  jobs_.submit(
      tr("Make a steering vector at %1").arg(QString::fromStdString(at)), "steering vector",
      [model, towards, away, at, special, last_only, self, id](const Progress& progress) -> std::function<void()> {
        auto made = std::make_shared<SteeringVector>(
            make_steering_vector_for_gui(*model, towards, away, at, last_only, special, progress));
        return [self, id, made] {
          if (!self || id != self->request_) return;
          self->make_->setEnabled(true);
          self->set_vector(*made);
          self->error_->clear();
        };
      },
      [self, id](const QString& message, bool cancelled) {
        if (!self || id != self->request_) return;
        self->make_->setEnabled(true);
        self->set_vector(std::nullopt);
        self->show_error(cancelled ? tr("Making the vector was cancelled.") : message);
      });
}

bool SteeringDialog::write_vector(const QString& path) {
  if (!vector_) {
    show_error(tr("Make or read a vector first."));
    return false;
  }
  try {
    write_steering_vector_for_gui(path.toStdString(), *vector_);
  } catch (const std::exception& e) {
    show_error(QString::fromStdString(e.what()));
    return false;
  }
  error_->clear();
  vector_label_->setText(vector_label_->text() + tr(" · saved to %1").arg(QFileInfo(path).fileName()));
  return true;
}

std::optional<probes::EditSpec> SteeringDialog::validate() {
  if (!vector_) {
    show_error(from_prompts_->isChecked() ? tr("Make the vector first (Make vector).")
                                          : tr("Choose a vector file first."));
    return std::nullopt;
  }
  probes::EditSpec spec;
  spec.kind = probes::EditSpec::Kind::steer;
  spec.hook = vector_->hook;
  spec.vector = vector_->values;
  spec.name = vector_->name;
  spec.coefficient = coefficient_->value();
  const QString positions = positions_->text().trimmed();
  try {
    if (positions != "all" && !positions.isEmpty())
      for (const std::string& item : probes::parse_list(positions.toStdString()))
        spec.positions.push_back(probes::parse_position(item, "positions"));
  } catch (const std::exception& e) {
    show_error(QString::fromStdString(e.what()));
    return std::nullopt;
  }
  error_->clear();
  return spec;
}

void SteeringDialog::accept() {
  edit_ = validate();
  if (edit_) QDialog::accept();
}

}  // namespace glassbox::gui
