#include "probes/row_tensors.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace glassbox::probes {

void add_row(RowResults& rows, const std::string& label,
             const std::vector<std::pair<std::string, at::Tensor>>& values) {
  for (const auto& [name, value] : values) {
    const at::Tensor row = value.to(at::kCPU, at::kDouble).contiguous();
    RowValues& column = rows.values[name];
    if (rows.labels.empty()) column.shape = row.sizes().vec();
    if (column.shape != row.sizes().vec())
      fail(label, "its " + name + " has the shape " + c10::str(row.sizes()) + ", the first row's " +
                      c10::str(at::IntArrayRef(column.shape)));
    column.data.insert(column.data.end(), row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }
  rows.labels.push_back(label);
}

std::vector<at::Tensor> row_tensors(const RowResults& rows, const std::string& name) {
  const auto it = rows.values.find(name);
  if (it == rows.values.end()) fail("the rows", "they hold no value '" + name + "'");
  const RowValues& column = it->second;
  const at::Tensor all = at::tensor(column.data, at::kDouble);
  std::vector<int64_t> shape = {rows.size()};
  shape.insert(shape.end(), column.shape.begin(), column.shape.end());
  return all.view(shape).unbind(0);
}

}  // namespace glassbox::probes
