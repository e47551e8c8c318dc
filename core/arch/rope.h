#pragma once
// Reads a config's rotary settings: the older top-level fields and the newer
// `rope_parameters` / `rope_scaling` objects.
#include "core/arch/family.h"
#include "core/transformer.h"

namespace glassbox {

// Sets rope_theta and llama3 scaling on `c`; returns the partial rotary factor
// (1 when the config names none). `theta_key` is the family's top-level key.
double read_rope(const ModelFolder& f, const std::string& theta_key, double default_theta, TransformerConfig& c);

}  // namespace glassbox
