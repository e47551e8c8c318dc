#pragma once
// The rows a data set analysis keeps (probes/shard.h) as tensors.
#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "probes/shard.h"

namespace glassbox::probes {

// Adds one row: its label and its values by name (any shape; 0-d for a number).
void add_row(RowResults& rows, const std::string& label,
             const std::vector<std::pair<std::string, at::Tensor>>& values);

// Every row's value `name`, float64 on the CPU, one tensor per row.
std::vector<at::Tensor> row_tensors(const RowResults& rows, const std::string& name);

}  // namespace glassbox::probes
