#include "core/progress.h"

#include "core/error.h"

namespace glassbox {

void Progress::check() const {
  if (cancelled && cancelled()) throw Cancelled();
}

namespace {
thread_local const Progress* innermost_cancel_scope = nullptr;
}

CancelScope::CancelScope(const Progress& progress) : outer_(innermost_cancel_scope) {
  innermost_cancel_scope = &progress;
}

CancelScope::~CancelScope() { innermost_cancel_scope = outer_; }

const Progress* CancelScope::current() { return innermost_cancel_scope; }

}  // namespace glassbox
