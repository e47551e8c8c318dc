#pragma once
// One error type for everything a user can get wrong: a message that names the
// file (or object) and the problem, on one line.
#include <stdexcept>
#include <string>

namespace glassbox {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a long computation is cancelled by the user.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

// Throws Error("<where>: <problem>").
[[noreturn]] void fail(const std::string& where, const std::string& problem);

}  // namespace glassbox
