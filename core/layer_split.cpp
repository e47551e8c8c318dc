#include "core/layer_split.h"

#include "core/error.h"

namespace glassbox {

std::vector<std::string> device_list(const std::string& spec) {
  std::vector<std::string> devices;
  size_t start = 0;
  while (true) {
    const size_t comma = spec.find(',', start);
    const std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.empty()) fail("device", "'" + spec + "': an empty device in the list (write e.g. cuda:0,cuda:1)");
    devices.push_back(part);
    if (comma == std::string::npos) return devices;
    start = comma + 1;
  }
}

LayerSplit split_layers(int n_layers, const std::vector<std::string>& devices) {
  const int n = static_cast<int>(devices.size());
  if (n == 0) fail("device", "no device given");
  if (n > n_layers)
    fail("device", std::to_string(n) + " devices for a model of " + std::to_string(n_layers) +
                       " layers: each device needs at least one layer");
  LayerSplit split;
  split.devices = devices;
  for (int d = 0; d < n; ++d) {
    const int blocks = n_layers / n + (d < n_layers % n ? 1 : 0);
    split.block_device.insert(split.block_device.end(), blocks, d);
  }
  return split;
}

int LayerSplit::first_block(int device) const {
  for (size_t l = 0; l < block_device.size(); ++l)
    if (block_device[l] == device) return static_cast<int>(l);
  return -1;
}

int LayerSplit::last_block(int device) const {
  for (size_t l = block_device.size(); l-- > 0;)
    if (block_device[l] == device) return static_cast<int>(l);
  return -1;
}

}  // namespace glassbox
