#pragma once
// `glassbox-cli session info|export` and the --session flag of every probe
// (docs/file-formats.md#session).
#include <string>

#include "core/session.h"

namespace glassbox {
class Model;
}

namespace glassbox::cli {

// Appends `run` (with the prompt it used, if any) to the session at `path`,
// creating it for `model` if missing. A session made with another model is
// refused, naming both.
void record_in_session(const std::string& path, const Model& model, const std::string& device,
                       const std::string& dtype, SessionRun run, const SessionPrompt* prompt);

}  // namespace glassbox::cli
