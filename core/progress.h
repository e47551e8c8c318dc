#pragma once
// Progress reporting and cooperative cancellation for long work (probes, training).
#include <functional>
#include <string>
#include <vector>

#include "core/plot.h"

namespace glassbox {

struct Progress {
  // fraction in [0,1] and a short message; may be empty.
  std::function<void(double fraction, const std::string& message)> report;
  // Returns true when the user asked to stop; may be empty.
  std::function<bool()> cancelled;
  // Receives the results so far, so that a long analysis is shown part by part; may be empty.
  std::function<void(const std::vector<Plot>&)> partial;

  void update(double fraction, const std::string& message = {}) const {
    if (report) report(fraction, message);
  }
  bool wants_partial() const { return static_cast<bool>(partial); }
  void publish(const std::vector<Plot>& plots) const {
    if (partial) partial(plots);
  }
  // Call between units of work: throws Cancelled if the user asked to stop.
  void check() const;
};

// While it lives, every forward pass on this thread checks `progress` for Cancel after each
// block, also the passes whose callers gave them no Progress: a long pass stops within a block.
class CancelScope {
 public:
  explicit CancelScope(const Progress& progress);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;
  // The innermost scope's progress; null outside every scope.
  static const Progress* current();

 private:
  const Progress* outer_;
};

}  // namespace glassbox
