#pragma once
// The selected analysis' parameters as widgets built from its ParamSpecs, and
// a Run button.
#include <QWidget>
#include <map>

#include "app/gui_analysis.h"

class QFormLayout;
class QLabel;
class QPushButton;

namespace glassbox::gui {

class ParamsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParamsPanel(QWidget* parent = nullptr);

  // Rebuilds the widgets for an analysis, showing `values`.
  void show_analysis(const Analysis& analysis, const std::vector<ParamSpec>& specs, const ParamValues& values);
  void clear(const QString& message);
  // Sets a number parameter (e.g. the position from a token chip) if shown; true if it was.
  bool set_number(const std::string& key, double value);
  ParamValues values() const { return values_; }

 signals:
  void values_changed(const ParamValues& values);
  void run_requested();

 private:
  void clear_form();

  QLabel* title_;
  QLabel* description_;
  QWidget* form_widget_;
  QFormLayout* form_;
  QPushButton* run_;
  ParamValues values_;
  std::map<std::string, QWidget*> editors_;
};

}  // namespace glassbox::gui
