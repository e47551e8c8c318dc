#include "core/progress.h"

#include "core/error.h"

namespace glassbox {

void Progress::check() const {
  if (cancelled && cancelled()) throw Cancelled();
}

}  // namespace glassbox
