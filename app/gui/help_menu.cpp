#include "app/gui/help_menu.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtGlobal>

#include "app/gui/backend.h"
#include "core/h5.h"
#include "core/plot.h"

namespace glassbox::gui {

namespace {

// The plots' keys (the views define them); the menus' shortcuts are read off the menus.
const char* const kPlotShortcuts = R"(| **In a heatmap** | |
| arrows, Page Up/Down, Home/End | move the current cell (Shift extends the selection) |
| Enter or Space, click | open the cell: a head's attention pattern in a layer × head grid |
| Ctrl+click | ablate the head (layer × head grids) |
| + / − / 0, wheel, drag, double-click | zoom in / out / to fit, zoom at the pointer, pan, fit |
| Ctrl+C | copy the selected values (tab-separated, with labels) |
| right-click | colour scale, linked analyses, copy image, export HDF5, PNG, SVG, PDF |
| **In a table** | |
| Ctrl+C | copy the selected cells |
| click a header | sort by that column |
)";

void show_document(QWidget* parent, const QString& title, const QString& markdown, const QString& base) {
  auto* dialog = new QDialog(parent);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(title);
  auto* text = new QTextBrowser(dialog);
  text->setOpenExternalLinks(true);
  if (!base.isEmpty()) text->setSearchPaths({base});
  text->setMarkdown(markdown);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
  QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
  auto* layout = new QVBoxLayout(dialog);
  layout->addWidget(text);
  layout->addWidget(buttons);
  dialog->resize(820, 640);
  dialog->show();
}

QString shortcuts_markdown(QMenuBar* bar) {
  QString text = QObject::tr("| keys | what they do |\n|---|---|\n");
  for (QAction* menu_action : bar->actions()) {
    QMenu* menu = menu_action->menu();
    if (!menu) continue;
    for (QAction* action : menu->actions())
      if (!action->shortcut().isEmpty())
        text += QStringLiteral("| %1 | %2 ▸ %3 |\n")
                    .arg(action->shortcut().toString(QKeySequence::NativeText), QString(menu->title()).remove('&'),
                         QString(action->text()).remove('&'));
  }
  return text + QString::fromUtf8(kPlotShortcuts);
}

void show_doc_file(QWidget* parent, const QString& title, const QString& name) {
  const QDir docs(QStringLiteral(GLASSBOX_DOCS));
  QFile file(docs.filePath(name));
  if (!file.open(QIODevice::ReadOnly)) {
    QMessageBox::warning(parent, title, QObject::tr("Cannot read %1: %2").arg(file.fileName(), file.errorString()));
    return;
  }
  show_document(parent, title, QString::fromUtf8(file.readAll()), docs.absolutePath());
}

}  // namespace

QString about_text() {
  return QObject::tr("Glassbox %1\nQt %2\nLibTorch %3 (%4)\nHDF5 %5")
      .arg(QString::fromLatin1(kVersion), QString::fromLatin1(qVersion()),
           QString::fromStdString(libtorch_version()),
           cuda_available() ? QObject::tr("CUDA available") : QObject::tr("CPU only"),
           QString::fromStdString(h5::library_version()));
}

void add_help_menu(QMenuBar* bar, QWidget* window) {
  QMenu* help = bar->addMenu(QObject::tr("&Help"));
  const std::pair<QString, QString> docs[] = {
      {QObject::tr("The &window"), "gui.md"},           {QObject::tr("&Methods"), "methods.md"},
      {QObject::tr("&File formats"), "file-formats.md"}, {QObject::tr("&Toy models"), "toy-models.md"},
      {QObject::tr("&GGUF files"), "gguf.md"},
  };
  for (const auto& [title, name] : docs) {
    const QString plain = QString(title).remove('&');
    help->addAction(title, window, [window, plain, name = name] { show_doc_file(window, plain, name); });
  }
  help->addSeparator();
  help->addAction(QObject::tr("&Keyboard shortcuts"), QKeySequence::HelpContents, window, [window, bar] {
    show_document(window, QObject::tr("Keyboard shortcuts"), shortcuts_markdown(bar), QString());
  });
  help->addAction(QObject::tr("&About Glassbox"), window, [window] {
    QMessageBox::about(window, QObject::tr("About Glassbox"),
                       QObject::tr("<b>Glassbox</b>: a workbench for mechanistic interpretability of transformer "
                                   "language models.<pre>%1</pre>")
                           .arg(about_text().toHtmlEscaped()));
  });
}

}  // namespace glassbox::gui
