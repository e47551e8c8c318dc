#include "core/error.h"

namespace glassbox {

void fail(const std::string& where, const std::string& problem) {
  throw Error(where.empty() ? problem : where + ": " + problem);
}

}  // namespace glassbox
