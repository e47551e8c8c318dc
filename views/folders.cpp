#include "views/folders.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace glassbox::views {

QString remembered_folder(const QString& kind, const QString& fallback) {
  const QString folder = QSettings().value("folders/" + kind).toString();
  return !folder.isEmpty() && QDir(folder).exists() ? folder : fallback;
}

QString remembered_path(const QString& kind, const QString& file_name, const QString& fallback_folder) {
  return QDir(remembered_folder(kind, fallback_folder)).filePath(file_name);
}

void remember_folder(const QString& kind, const QString& path) {
  QSettings().setValue("folders/" + kind, QFileInfo(path).absolutePath());
}

}  // namespace glassbox::views
