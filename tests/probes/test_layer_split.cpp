// A model split by layers across devices (--device cuda:0,cuda:1) computes what
// it computes on one: the placement gives each device a contiguous run of
// blocks, and every registered analysis gives the same plots split as whole.
// Here the devices are the test device named several times (on CPU, "cpu,cpu"),
// which runs every crossing the split adds; a machine with two GPUs runs it on two.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/layer_split.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "probes/edits.h"
#include "probes/registry.h"
#include "test_util.h"

namespace glassbox::probes {
namespace {

TEST(LayerSplit, BlocksSplitEvenlyEarlierDevicesTakingTheRemainder) {
  const LayerSplit split = split_layers(30, {"cuda:0", "cuda:1", "cuda:2", "cuda:3"});
  std::vector<int> per_device(4, 0);
  for (int d : split.block_device) ++per_device[d];
  EXPECT_EQ(per_device, (std::vector<int>{8, 8, 7, 7}));
  EXPECT_EQ(split.first_block(1), 8);
  EXPECT_EQ(split.last_block(1), 15);
  EXPECT_EQ(split.last_block(3), 29);
  for (size_t l = 1; l < split.block_device.size(); ++l) EXPECT_LE(split.block_device[l - 1], split.block_device[l]);
  EXPECT_EQ(split_layers(4, {"cpu"}).block_device, (std::vector<int>{0, 0, 0, 0}));
}

TEST(LayerSplit, BadDeviceListsAreRefused) {
  EXPECT_EQ(device_list("cuda:0,cuda:1"), (std::vector<std::string>{"cuda:0", "cuda:1"}));
  EXPECT_EQ(device_list("cpu"), (std::vector<std::string>{"cpu"}));
  EXPECT_EQ(test::error_of([] { device_list("cuda:0,,cuda:1"); }),
            "device: 'cuda:0,,cuda:1': an empty device in the list (write e.g. cuda:0,cuda:1)");
  EXPECT_EQ(test::error_of([] { split_layers(2, {"cpu", "cpu", "cpu"}); }),
            "device: 3 devices for a model of 2 layers: each device needs at least one layer");
  LoadOptions options;
  options.device = "cpu,tpu";
  EXPECT_EQ(test::error_of([&] { load_model(test::resources("models/two-hop"), options); }),
            "device: unknown device 'tpu' (use cpu or cuda)");
  options.device = "cpu,cpu";
  EXPECT_EQ(test::error_of([&] { load_model(test::resources("models/grok-mlp-p97-wd0"), options); }),
            test::resources("models/grok-mlp-p97-wd0") +
                ": a glassbox_mlp model cannot be split across devices (only transformers are)");
}

// The test device twice (cpu,cpu), or two GPUs where there are two.
std::string two_devices() {
  if (test::device() == "cpu") return "cpu,cpu";
  return torch::cuda::device_count() > 1 ? "cuda:0,cuda:1" : "cuda:0,cuda:0";
}

std::unique_ptr<Model> load_on(const std::string& devices) {
  LoadOptions options;
  options.device = devices;
  return load_model(test::resources("models/two-hop"), options);
}

// Inputs an analysis needs on the two-hop toy (4 layers, 4 heads) beyond its defaults.
const std::map<std::string, ParamInputs>& needed_params() {
  static const std::map<std::string, ParamInputs> all = {
      {"attention-pattern", {{"head", {"1:0"}}}},
      {"head-svd", {{"head", {"1:0"}}}},
      {"ablate", {{"heads", {"1:1"}}}},
      {"backpatch", {{"generate", {"2"}}}},
      {"backpatch-dataset", {{"generate", {"2"}}}},
      {"attention-heads", {{"induction_seq_len", {"6"}}}},
      {"activation-patching", {{"corrupted", {"the father of the father of Raviru is"}}}},
      {"generate", {{"max_new_tokens", {"3"}}}},
  };
  return all;
}

double largest_difference(const Plot& a, const Plot& b) {
  double largest = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    if (std::isnan(a.data[i]) && std::isnan(b.data[i])) continue;
    largest = std::max(largest, std::abs(double(a.data[i]) - double(b.data[i])));
  }
  return largest;
}

TEST(LayerSplit, EveryAnalysisGivesTheSamePlotsSplitAsWhole) {
  const std::unique_ptr<Model> whole = load_on(test::device());
  const std::unique_ptr<Model> split = load_on(two_devices());
  ASSERT_EQ(split->info().block_devices.size(), 4u);
  EXPECT_EQ(split->info().block_devices.front(), device_list(two_devices()).front());
  EXPECT_EQ(split->info().block_devices.back(), device_list(two_devices()).back());
  AnalysisInputs prompt;
  prompt.tokens = whole->tokenizer()->encode("the father of the father of Sata is", false);
  int compared = 0;
  for (const Analysis& analysis : analyses()) {
    if (!applies(analysis, whole->info())) continue;
    SCOPED_TRACE(analysis.id);
    const auto needed = needed_params().find(analysis.id);
    const ParamInputs given = needed == needed_params().end() ? ParamInputs{} : needed->second;
    const ParamValues values = parse_params(analysis.params(whole->info()), given, *whole, Front::cli);
    AnalysisInputs inputs = prompt;
    if (analysis.needs.dataset == Need::required) inputs.dataset = test::resources("models/two-hop/two_hop_heldout.csv");
    const AnalysisOutput a = run_with_edits(analysis, *whole, inputs, values, {}, Progress{});
    const AnalysisOutput b = run_with_edits(analysis, *split, inputs, values, {}, Progress{});
    ASSERT_EQ(a.plots.size(), b.plots.size());
    for (size_t p = 0; p < a.plots.size(); ++p) {
      SCOPED_TRACE(a.plots[p].name);
      ASSERT_EQ(a.plots[p].name, b.plots[p].name);
      ASSERT_EQ(a.plots[p].shape, b.plots[p].shape);
      EXPECT_LE(largest_difference(a.plots[p], b.plots[p]), 1e-5);
    }
    ++compared;
  }
  EXPECT_GE(compared, 15);
}

}  // namespace
}  // namespace glassbox::probes
