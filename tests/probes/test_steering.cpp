// Steering vectors: the mean difference equals a hand computation from
// captured activations; adding c·v at a block's output changes the next
// block's input by exactly c·v and the logits as the rest of the model
// computes from that input; a vector saved as a llama.cpp control vector
// steers the same after loading (blocks.L.hook_resid_pre is written as
// direction.L-1 and comes back as blocks.L-1.hook_resid_post).
#include "probes/steering.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>

#include "core/control_vector.h"
#include "core/error.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

using probes::SteeringVector;

const std::vector<std::vector<int64_t>> kPositive = {{303, 211, 294, 53}, {204, 372, 152, 505, 17, 9}};
const std::vector<std::vector<int64_t>> kNegative = {{11, 12, 13}, {400, 401, 402, 403, 404}, {7}};
const std::vector<int64_t> kPrompt = {5, 77, 190, 260, 3};

at::Tensor captured(const Model& model, const std::vector<int64_t>& tokens, const std::string& hook,
                    std::vector<Edit> edits = {}) {
  RunOptions o;
  std::string pattern;
  for (char c : hook) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
  o.capture = NameFilter(pattern);
  o.edits = std::move(edits);
  return model.run(tokens, o).cache.get(hook).to(at::kDouble);
}

at::Tensor logits(const Model& model, const std::vector<int64_t>& tokens, std::vector<Edit> edits = {}) {
  RunOptions o;
  o.edits = std::move(edits);
  return model.run(tokens, o).logits.to(at::kDouble);
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

TEST(Steering, MeanDifferenceEqualsTheHandComputation) {
  auto model = test::reference_model("gpt2_b");
  const std::string hook = "blocks.1.hook_resid_pre";
  auto by_hand = [&](bool last) {
    auto mean = [&](const std::vector<std::vector<int64_t>>& prompts) {
      at::Tensor sum = at::zeros({model->info().d_model}, at::kDouble);
      for (const auto& p : prompts) {
        at::Tensor act = captured(*model, p, hook);
        sum += last ? act[act.size(0) - 1] : act.mean(0);
      }
      return sum / static_cast<double>(prompts.size());
    };
    return mean(kPositive) - mean(kNegative);
  };
  for (bool last : {true, false}) {
    SCOPED_TRACE(last ? "last position" : "all positions");
    const at::Tensor v = probes::steering_vector(*model, hook, kPositive, kNegative, last);
    ASSERT_EQ(v.sizes(), (at::IntArrayRef{model->info().d_model}));
    EXPECT_EQ(v.scalar_type(), at::kFloat);
    const at::Tensor expected = by_hand(last);
    EXPECT_GT(max_abs(expected), 0.1);
    EXPECT_LT(max_abs(v.to(at::kDouble) - expected), 1e-5 * max_abs(expected));
  }
  // One pair is the difference of the two activations.
  const at::Tensor pair = probes::steering_vector(*model, hook, {kPositive[0]}, {kNegative[1]}, true);
  const at::Tensor a = captured(*model, kPositive[0], hook), b = captured(*model, kNegative[1], hook);
  EXPECT_LT(max_abs(pair.to(at::kDouble) - (a[-1] - b[-1])), 1e-5);
}

TEST(Steering, AddingTheVectorShiftsTheNextBlockInputByExactlyCTimesV) {
  auto model = test::reference_model("gpt2_b");
  SteeringVector v = probes::make_steering_vector(*model, "blocks.0.hook_resid_post", kPositive, kNegative, true);
  EXPECT_EQ(v.layer, 0);
  EXPECT_EQ(v.model_hint, "gpt2");
  const double c = 3.5;
  const at::Tensor cv = at::tensor(v.values, at::kDouble) * c;
  const at::Tensor clean = captured(*model, kPrompt, "blocks.1.hook_resid_pre");
  const at::Tensor steered = captured(*model, kPrompt, "blocks.1.hook_resid_pre", {v.edit(c)});
  EXPECT_LT(max_abs(steered - clean - cv.unsqueeze(0)), 1e-5 * max_abs(cv));

  // Only the chosen positions move.
  const at::Tensor last_only = captured(*model, kPrompt, "blocks.1.hook_resid_pre", {v.edit(c, {-1})});
  EXPECT_EQ(max_abs(last_only.narrow(0, 0, 4) - clean.narrow(0, 0, 4)), 0.0);
  EXPECT_LT(max_abs(last_only[4] - clean[4] - cv), 1e-5 * max_abs(cv));

  // The logits are what blocks 1.. compute from that shifted input.
  const auto& transformer = dynamic_cast<const Transformer&>(*model);
  ForwardArgs rest;
  rest.start_layer = 1;
  rest.resid = (clean + cv.unsqueeze(0)).to(at::kFloat).unsqueeze(0);
  const at::Tensor expected = transformer.forward(rest).logits[0].to(at::kDouble);
  const at::Tensor steered_logits = logits(*model, kPrompt, {v.edit(c)});
  EXPECT_GT(max_abs(steered_logits - logits(*model, kPrompt)), 1e-2);
  EXPECT_LT(max_abs(steered_logits - expected), 1e-4 * max_abs(expected));
}

TEST(Steering, ControlVectorFileSteersTheSameAfterLoading) {
  test::TempDir dir;
  auto model = test::reference_model("gpt2_b");
  SteeringVector v = probes::make_steering_vector(*model, "blocks.2.hook_resid_pre", kPositive, kNegative, false);
  const std::string path = dir.file("v.gguf");
  probes::save_steering_vectors(path, {v});
  const std::vector<SteeringVector> back = probes::load_steering_vectors(path, &model->info());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].hook, "blocks.1.hook_resid_post");  // direction.1: the output of block 1
  EXPECT_EQ(back[0].layer, 1);
  EXPECT_EQ(back[0].values, v.values);
  EXPECT_EQ(back[0].model_hint, "gpt2");
  EXPECT_NEAR(back[0].norm(), v.norm(), 1e-9);
  EXPECT_EQ(max_abs(logits(*model, kPrompt, {back[0].edit(-2)}) - logits(*model, kPrompt, {v.edit(-2)})), 0.0);
  const ControlVector file = read_control_vector(path);
  ASSERT_EQ(file.directions.size(), 1u);
  EXPECT_EQ(file.directions.begin()->first, 1);
}

TEST(Steering, SafetensorsKeepAnyBlockHook) {
  test::TempDir dir;
  auto model = test::reference_model("gpt2_b");
  std::vector<SteeringVector> vectors = {
      probes::make_steering_vector(*model, "blocks.2.hook_mlp_out", kPositive, kNegative, true),
      probes::make_steering_vector(*model, "blocks.0.hook_resid_pre", kPositive, kNegative, true)};
  const std::string path = dir.file("v.safetensors");
  probes::save_steering_vectors(path, vectors);
  const std::vector<SteeringVector> back = probes::load_steering_vectors(path, &model->info());
  ASSERT_EQ(back.size(), 2u);  // by layer
  EXPECT_EQ(back[0].hook, "blocks.0.hook_resid_pre");
  EXPECT_EQ(back[0].values, vectors[1].values);
  EXPECT_EQ(back[1].hook, "blocks.2.hook_mlp_out");
  EXPECT_EQ(back[1].layer, 2);
  EXPECT_EQ(back[1].values, vectors[0].values);
  EXPECT_EQ(back[1].model_hint, "gpt2");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Steering, BadInputGivesOneClearError) {
  test::TempDir dir;
  auto model = test::reference_model("gpt2_b");
  auto make = [&](const std::string& hook, const std::vector<std::vector<int64_t>>& negative = kNegative) {
    return error_of([&] { probes::make_steering_vector(*model, hook, kPositive, negative, true); });
  };
  EXPECT_EQ(make("blocks.1.hook_nothing"), "steering: unknown hook 'blocks.1.hook_nothing'");
  EXPECT_EQ(make("blocks.9.hook_resid_pre"), "steering: the model has no hook 'blocks.9.hook_resid_pre'");
  EXPECT_EQ(make("hook_embed"), "steering: hook 'hook_embed' belongs to no block; steer a blocks.L hook");
  EXPECT_NE(make("blocks.1.attn.hook_z").find("is not of width d_model"), std::string::npos);
  EXPECT_EQ(make("blocks.1.hook_resid_pre", {}), "steering: no negative prompts");
  EXPECT_EQ(make("blocks.1.hook_resid_pre", {{1}, {}}), "steering: negative prompt 2 has no tokens");

  SteeringVector v = probes::make_steering_vector(*model, "blocks.1.hook_mlp_out", kPositive, kNegative, true);
  const std::string gguf = dir.file("v.gguf");
  EXPECT_NE(error_of([&] { probes::save_steering_vectors(gguf, {v}); }).find("save it as .safetensors"),
            std::string::npos);
  v.hook = "blocks.1.hook_resid_pre";  // block 0's output: llama.cpp has no direction.0
  EXPECT_NE(error_of([&] { probes::save_steering_vectors(gguf, {v}); }).find("cannot steer the embedding or block 0"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { probes::save_steering_vectors(dir.file("v.txt"), {v}); }),
            dir.file("v.txt") + ": steering vectors are .gguf (a llama.cpp control vector) or .safetensors files");

  // A vector from a wider model refused when loading for this one.
  v.values.push_back(0);
  const std::string wide = dir.file("wide.safetensors");
  probes::save_steering_vectors(wide, {v});
  EXPECT_EQ(error_of([&] { probes::load_steering_vectors(wide, &model->info()); }),
            wide + ": tensor 'direction.1': 65 values, the model's d_model is 64");
}

}  // namespace
}  // namespace glassbox
