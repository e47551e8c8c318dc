#pragma once
// What backend.h's opaque ResolvedEdits holds: the core Edits of the active
// edits, on the model's device. For the backend's .cpp files only (tensors).
// In private/ because the layering test keeps the model backend out of the
// headers in app/gui/, which the GUI thread sees.
#include <vector>

#include "core/hooks.h"

namespace glassbox::gui {

struct ResolvedEdits {
  std::vector<Edit> edits;
};

}  // namespace glassbox::gui
