#pragma once
// `glassbox-cli session info|export` and the --session flag of every probe
// (docs/file-formats.md#session).
#include <functional>
#include <string>

#include "core/session.h"

namespace glassbox::cli {

// Appends `run` (with the prompt it used, if any) to the session at `path`,
// creating it, if missing, for the model `describe` gives (called only then).
// A session made with a model at another path than `model_path` is refused,
// naming both.
void record_in_session(const std::string& path, const std::string& model_path,
                       const std::function<SessionModel()>& describe, SessionRun run, const SessionPrompt* prompt);

}  // namespace glassbox::cli
