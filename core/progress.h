#pragma once
// Progress reporting and cooperative cancellation for long work (probes, training).
#include <functional>
#include <string>

namespace glassbox {

struct Progress {
  // fraction in [0,1] and a short message; may be empty.
  std::function<void(double fraction, const std::string& message)> report;
  // Returns true when the user asked to stop; may be empty.
  std::function<bool()> cancelled;

  void update(double fraction, const std::string& message = {}) const {
    if (report) report(fraction, message);
  }
  // Call between units of work: throws Cancelled if the user asked to stop.
  void check() const;
};

}  // namespace glassbox
