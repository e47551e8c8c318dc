#pragma once
// Help ▸ About (versions of Glassbox, Qt, LibTorch and HDF5), the keyboard
// shortcuts, and the docs shipped with the app, read in a window.
class QMenuBar;
class QWidget;
class QString;

namespace glassbox::gui {

void add_help_menu(QMenuBar* bar, QWidget* window);
// What About shows: one line per component with its version.
QString about_text();

}  // namespace glassbox::gui
