#include "app/gui/generate_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <algorithm>

namespace glassbox::gui {

namespace {

constexpr int kMaxNewTokens = 256;

// A continuation as the user reads it: its text, or its ids for a model without a tokenizer.
QString readable(const Continuation& c) {
  if (!c.text.empty() || c.ids.empty()) return QString::fromStdString(c.text);
  QStringList ids;
  for (int64_t id : c.ids) ids << QString::number(id);
  return ids.join(", ");
}

// The prompt in grey, the continuation in bold after it.
QString pane_html(const QString& prompt, const Continuation& c) {
  QString html = "<span style='color:#888'>" + prompt.toHtmlEscaped() + "</span><b>" +
                 readable(c).toHtmlEscaped().replace("\n", "<br>") + "</b>";
  if (c.stopped_at_eos) html += " <span style='color:#888'>[end of text]</span>";
  return "<div style='white-space: pre-wrap'>" + html + "</div>";
}

// The first generated token where the two differ; -1 when they are the same.
int first_difference(const Continuation& a, const Continuation& b) {
  const auto mismatch = std::mismatch(a.ids.begin(), a.ids.end(), b.ids.begin(), b.ids.end());
  if (mismatch.first == a.ids.end() && mismatch.second == b.ids.end()) return -1;
  return static_cast<int>(mismatch.first - a.ids.begin());
}

}  // namespace

GeneratePanel::GeneratePanel(QWidget* parent)
    : QWidget(parent),
      tokens_(new QSpinBox(this)),
      mode_(new QComboBox(this)),
      temperature_(new QDoubleSpinBox(this)),
      top_p_(new QDoubleSpinBox(this)),
      seed_(new QSpinBox(this)),
      generate_(new QPushButton(tr("Generate"), this)),
      status_(new QLabel(this)),
      edited_pane_(new QWidget(this)),
      edited_title_(new QLabel(edited_pane_)),
      edited_(new QTextBrowser(edited_pane_)),
      unedited_title_(new QLabel(this)),
      unedited_(new QTextBrowser(this)),
      append_edited_(new QPushButton(tr("Append to prompt"), edited_pane_)),
      append_unedited_(new QPushButton(tr("Append to prompt"), this)) {
  tokens_->setRange(1, kMaxNewTokens);
  tokens_->setValue(20);
  tokens_->setToolTip(tr("New tokens at most (fewer when the model ends the text)"));
  mode_->addItems({tr("greedy"), tr("sample")});
  mode_->setToolTip(tr("greedy: the most likely token each step; sample: draw with temperature and top-p"));
  temperature_->setRange(0.01, 100);
  temperature_->setSingleStep(0.1);
  temperature_->setValue(1.0);
  temperature_->setToolTip(tr("Sampling: the logits are divided by it (lower is closer to greedy)"));
  top_p_->setRange(0.01, 1.0);
  top_p_->setSingleStep(0.05);
  top_p_->setValue(1.0);
  top_p_->setToolTip(tr("Sampling: draw only from the most likely tokens whose probability reaches it"));
  seed_->setRange(0, 2147483647);
  seed_->setToolTip(tr("Sampling: the same seed gives the same text"));
  generate_->setToolTip(tr("Continue the prompt with the active edits and without them"));
  status_->setTextFormat(Qt::PlainText);
  status_->setStyleSheet("color: palette(dark);");
  auto sampling = [this] {
    const bool sample = mode_->currentIndex() == 1;
    for (QWidget* w : {static_cast<QWidget*>(temperature_), static_cast<QWidget*>(top_p_), static_cast<QWidget*>(seed_)})
      w->setEnabled(sample);
  };
  connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this, sampling);
  sampling();

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("New tokens:"), this));
  controls->addWidget(tokens_);
  controls->addWidget(mode_);
  controls->addWidget(new QLabel(tr("Temperature:"), this));
  controls->addWidget(temperature_);
  controls->addWidget(new QLabel(tr("Top p:"), this));
  controls->addWidget(top_p_);
  controls->addWidget(new QLabel(tr("Seed:"), this));
  controls->addWidget(seed_);
  controls->addWidget(generate_);
  controls->addWidget(status_, 1);

  for (QTextBrowser* pane : {edited_, unedited_}) {
    pane->setOpenLinks(false);
    pane->setMinimumHeight(48);
  }
  for (QLabel* title : {edited_title_, unedited_title_}) title->setTextFormat(Qt::PlainText);
  auto* edited_layout = new QGridLayout(edited_pane_);
  edited_layout->setContentsMargins(0, 0, 0, 0);
  edited_layout->addWidget(edited_title_, 0, 0);
  edited_layout->addWidget(append_edited_, 0, 1);
  edited_layout->addWidget(edited_, 1, 0, 1, 2);
  edited_layout->setColumnStretch(0, 1);
  auto* unedited_pane = new QGridLayout;
  unedited_pane->addWidget(unedited_title_, 0, 0);
  unedited_pane->addWidget(append_unedited_, 0, 1);
  unedited_pane->addWidget(unedited_, 1, 0, 1, 2);
  unedited_pane->setColumnStretch(0, 1);
  auto* panes = new QHBoxLayout;
  panes->addWidget(edited_pane_, 1);
  panes->addLayout(unedited_pane, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addLayout(controls);
  layout->addLayout(panes, 1);

  connect(generate_, &QPushButton::clicked, this, &GeneratePanel::generate_requested);
  connect(append_edited_, &QPushButton::clicked, this, [this] { emit append_requested(continuations_.edited); });
  connect(append_unedited_, &QPushButton::clicked, this, [this] { emit append_requested(continuations_.unedited); });
  clear();
}

GenerateSettings GeneratePanel::settings() const {
  GenerateSettings s;
  s.max_new_tokens = tokens_->value();
  s.sample = mode_->currentIndex() == 1;
  s.temperature = temperature_->value();
  s.top_p = top_p_->value();
  s.seed = static_cast<uint64_t>(seed_->value());
  return s;
}

void GeneratePanel::fit_to_context(int n_ctx) { tokens_->setValue(std::clamp(n_ctx / 2, 1, 20)); }

void GeneratePanel::set_settings(const GenerateSettings& s) {
  tokens_->setValue(s.max_new_tokens);
  mode_->setCurrentIndex(s.sample ? 1 : 0);
  temperature_->setValue(s.temperature);
  top_p_->setValue(s.top_p);
  seed_->setValue(static_cast<int>(s.seed));
}

void GeneratePanel::clear() {
  continuations_ = Continuations{};
  edited_pane_->hide();
  unedited_title_->setText(tr("Continuation"));
  unedited_->setHtml("<span style='color:#888'>" + tr("Press Generate to continue the prompt.").toHtmlEscaped() +
                     "</span>");
  append_edited_->setEnabled(false);
  append_unedited_->setEnabled(false);
  status_->clear();
}

void GeneratePanel::show_status(const QString& text) { status_->setText(text); }

void GeneratePanel::show_continuations(const Prompt& prompt, const Continuations& c, const QString& edits) {
  continuations_ = c;
  const QString prompt_text = QString::fromStdString(prompt.text);
  edited_pane_->setVisible(c.has_edits);
  edited_title_->setText(tr("With the edits (%1)").arg(edits));
  edited_->setHtml(pane_html(prompt_text, c.edited));
  unedited_title_->setText(c.has_edits ? tr("Without edits") : tr("Continuation (no edits are on)"));
  unedited_->setHtml(pane_html(prompt_text, c.unedited));
  append_edited_->setEnabled(!c.edited.ids.empty());
  append_unedited_->setEnabled(!c.unedited.ids.empty());
  if (!c.has_edits) {
    status_->setText(tr("%n token(s)", nullptr, int(c.unedited.ids.size())));
    return;
  }
  const int differ = first_difference(c.edited, c.unedited);
  status_->setText(differ < 0 ? tr("the edits leave the continuation unchanged")
                              : tr("the continuations differ from generated token %1 on").arg(differ + 1));
}

QString GeneratePanel::edited_text() const { return readable(continuations_.edited); }
QString GeneratePanel::unedited_text() const { return readable(continuations_.unedited); }

}  // namespace glassbox::gui
