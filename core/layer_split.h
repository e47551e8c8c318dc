#pragma once
// A model larger than one GPU, split by layers: `--device cuda:0,cuda:1` gives
// each device a contiguous run of blocks, the embedding going with the first
// block and the final norm and unembedding with the last, so that the
// residual stream crosses from one device to the next once per boundary.
#include <string>
#include <vector>

namespace glassbox {

struct LayerSplit {
  std::vector<std::string> devices;  // as named: "cuda:0", "cuda:1"
  std::vector<int> block_device;     // per block, an index into devices
  int first_block(int device) const;  // -1 when the device holds no block
  int last_block(int device) const;   // -1 when the device holds no block
};

// The comma-separated devices of a --device value ("cuda:0,cuda:1"); one
// device gives a list of one. Error names the value when a part is empty.
std::vector<std::string> device_list(const std::string& spec);

// Blocks split as evenly as they go, earlier devices taking the remainder
// (30 blocks on 4 devices: 8, 8, 7, 7). Error when there are more devices
// than blocks: a device would hold nothing.
LayerSplit split_layers(int n_layers, const std::vector<std::string>& devices);

}  // namespace glassbox
