#pragma once
// The loaded model at a glance: architecture numbers and every hook point,
// grouped by block. Double-clicking a hook point asks to show its activation.
#include <QWidget>

#include "app/gui/backend.h"

class QLabel;
class QTreeWidget;

namespace glassbox::gui {

class ModelPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ModelPanel(QWidget* parent = nullptr);
  void show_model(const LoadedModel& model);
  // The width that shows every visible property and value uncut.
  int content_width() const;
  void clear();

 signals:
  void hook_activated(const QString& hook);

 private:
  QLabel* name_;
  QTreeWidget* tree_;
};

}  // namespace glassbox::gui
