#pragma once
// What backend.h's opaque ResolvedEdits holds: the core Edits of the active
// edits, on the model's device. For the backend's .cpp files only (tensors).
#include <vector>

#include "core/hooks.h"

namespace glassbox::gui {

struct ResolvedEdits {
  std::vector<Edit> edits;
};

}  // namespace glassbox::gui
