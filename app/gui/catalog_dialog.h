#pragma once
// File ▸ Open from Hugging Face cache… / Open from Ollama…: the models already
// on this machine (core/catalog.h), with family, size and whether Glassbox
// supports them; choosing one opens it.
#include <QDialog>

#include "core/catalog.h"

class QLabel;
class QPushButton;
class QTreeWidget;

namespace glassbox::gui {

class CatalogDialog : public QDialog {
  Q_OBJECT

 public:
  // `root` is where the entries were listed from, shown above the list.
  CatalogDialog(const QString& title, const QString& root, std::vector<CatalogEntry> entries,
                QWidget* parent = nullptr);
  // The path of the chosen model (a snapshot folder or a GGUF blob), or empty.
  QString chosen_path() const { return chosen_; }

 private:
  void update_buttons();

  std::vector<CatalogEntry> entries_;
  QTreeWidget* list_;
  QPushButton* open_;
  QString chosen_;
};

}  // namespace glassbox::gui
