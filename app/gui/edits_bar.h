#pragma once
// The active edits under the prompt bar (docs/gui.md#interventions): one chip
// per edit with its label ("zero L9H6 +1", "steer L12 ×4"), a switch that
// turns it on and off, a remove button and its details on hover. Every
// analysis and generation runs under the edits that are on.
#include <QWidget>
#include <vector>

#include "probes/edit_spec.h"

class QHBoxLayout;
class QLabel;
class QToolButton;

namespace glassbox::gui {

class EditsBar : public QWidget {
  Q_OBJECT

 public:
  explicit EditsBar(QWidget* parent = nullptr);

  const std::vector<probes::EditSpec>& edits() const { return edits_; }
  // Shows a saved set of edits without edits_changed: nothing reruns.
  void restore(std::vector<probes::EditSpec> edits);
  void add_edit(probes::EditSpec edit);
  // Adds the head to the last zero ablation of heads that is on (a new chip if there is none).
  void ablate_head(const probes::HeadRef& head);
  void set_enabled_at(int index, bool enabled);
  void remove_at(int index);
  // A short note after the chips: the edits being applied, or why they cannot be.
  void set_note(const QString& text, bool error);
  void set_read_only(bool read_only);

 signals:
  void edits_changed();
  void ablate_requested();
  void steer_requested();

 private:
  void rebuild_chips();
  QWidget* make_chip(int index);

  std::vector<probes::EditSpec> edits_;
  QWidget* chips_;
  QHBoxLayout* chips_layout_;
  QLabel* empty_;
  QLabel* note_;
  QToolButton* ablate_;
  QToolButton* steer_;
  bool read_only_ = false;
};

// The chip's tooltip: what the edit does, to which heads, neurons or hook, from what source.
QString edit_details(const probes::EditSpec& edit);

}  // namespace glassbox::gui
