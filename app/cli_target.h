#pragma once
// The target token of probes that score one token: --target ID or --target-text S.
#include <cstdint>
#include <optional>

#include "app/cli.h"

namespace glassbox::cli {

// --target ID (checked against the vocabulary) or --target-text S (must encode
// to exactly one token); nullopt when neither is given.
std::optional<int64_t> target_from_args(Args& args, const Model& model);

}  // namespace glassbox::cli
