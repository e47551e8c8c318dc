#pragma once
// The folder each kind of file dialog last used ("model", "session", "export", ...), kept
// across runs of the app, so that a dialog opens where the user was.
#include <QString>

namespace glassbox::views {

// The folder last chosen for `kind`, or `fallback` when none was or it is gone.
QString remembered_folder(const QString& kind, const QString& fallback);
// Where a save dialog starts: the remembered folder (else `fallback_folder`) with `file_name`.
QString remembered_path(const QString& kind, const QString& file_name, const QString& fallback_folder);
// Remembers the folder that holds `path` (a file, or a model folder) for `kind`.
void remember_folder(const QString& kind, const QString& path);

}  // namespace glassbox::views
