// Active edits: the specs users make (chips, --edits files) read back as
// written, turn into the hooks they name, and apply to every forward pass in
// their scope exactly as the same edits passed to the run would.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "core/transformer.h"
#include "probes/edits.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};
const std::vector<int64_t> kCorrupted = {303, 211, 17, 53, 204, 99, 152, 505};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

probes::EditSpec ablation(probes::EditSpec::Kind kind, std::vector<probes::HeadRef> heads,
                          std::vector<probes::NeuronRef> neurons = {}) {
  probes::EditSpec e;
  e.kind = kind;
  e.heads = std::move(heads);
  e.neurons = std::move(neurons);
  return e;
}

at::Tensor logits_under(const Model& model, const std::vector<Edit>& edits, const std::vector<int64_t>& tokens) {
  ActiveEdits active(edits);
  return model.run(tokens).logits;
}

TEST(Edits, JsonRoundTripKeepsEveryField) {
  probes::EditSpec mean = ablation(probes::EditSpec::Kind::mean, {{1, 2}}, {{0, 7}});
  mean.source_tokens = {{1, 2, 3}, {4, 5}};
  mean.source = "pairs.csv";
  mean.enabled = false;
  probes::EditSpec steer;
  steer.kind = probes::EditSpec::Kind::steer;
  steer.hook = "blocks.1.hook_resid_pre";
  steer.vector = {0.5f, -1.0f};
  steer.coefficient = 4;
  steer.positions = {-1};
  steer.name = "love − hate";
  const auto back = probes::edits_from_json(probes::edits_to_json({mean, steer}), "test");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].kind, probes::EditSpec::Kind::mean);
  EXPECT_FALSE(back[0].enabled);
  EXPECT_EQ(back[0].heads[0].layer, 1);
  EXPECT_EQ(back[0].heads[0].head, 2);
  EXPECT_EQ(back[0].neurons[0].neuron, 7);
  EXPECT_EQ(back[0].source_tokens, mean.source_tokens);
  EXPECT_EQ(back[1].hook, steer.hook);
  EXPECT_EQ(back[1].vector, steer.vector);
  EXPECT_EQ(back[1].positions, steer.positions);
  EXPECT_EQ(back[0].label(), "mean L1H2 +1");
  EXPECT_EQ(back[1].label(), "steer L1 ×4");
  EXPECT_EQ(probes::enabled_edits(back).size(), 1u);
}

TEST(Edits, MalformedSpecsAreRefusedNamingTheEdit) {
  const auto parse = [](const char* text) {
    return error_of([&] { probes::edits_from_json(nlohmann::json::parse(text), "e.json"); });
  };
  EXPECT_EQ(parse(R"({"kind":"zero"})"), "e.json: the edits must be a JSON array of objects");
  EXPECT_EQ(parse(R"([{"kind":"blur","heads":[[0,0]]}])"), "e.json: edit 1: unknown kind 'blur' (zero, mean, resample or steer)");
  EXPECT_EQ(parse(R"([{"kind":"zero","heads":[[0,0]],"colour":1}])"), "e.json: edit 1: unknown field \"colour\" for a zero edit");
  EXPECT_EQ(parse(R"([{"kind":"zero"}])"), "e.json: edit 1: an ablation needs heads or neurons");
  EXPECT_EQ(parse(R"([{"kind":"resample","heads":[[0,0]],"source_tokens":[[1],[2]]}])"),
            "e.json: edit 1: a resample ablation takes its activations from one prompt");
  EXPECT_NE(parse(R"([{"kind":"steer","hook":"blocks.0.hook_resid_pre","vector":"x"}])").find("e.json: edit 1: malformed"),
            std::string::npos);
}

TEST(Edits, ResolvingChecksTheModel) {
  auto model = test::reference_model("gpt2_a");
  const int L = model->info().n_layers;
  const auto resolve = [&](const probes::EditSpec& e) { return error_of([&] { probes::resolve_edits(*model, {e}, {}); }); };
  EXPECT_EQ(resolve(ablation(probes::EditSpec::Kind::zero, {{L, 0}})),
            "edit 1 (zero L" + std::to_string(L) + "H0): head " + std::to_string(L) + ":0: layer outside [0, " +
                std::to_string(L) + ")");
  probes::EditSpec steer;
  steer.kind = probes::EditSpec::Kind::steer;
  steer.hook = "blocks.0.hook_resid_pre";
  steer.vector = {1.0f, 2.0f};
  EXPECT_EQ(resolve(steer), "edit 1 (steer L0 ×1): the steering vector has 2 values and the model's residual stream " +
                                std::to_string(model->info().d_model));
  steer.hook = "blocks.0.attn.hook_z";
  EXPECT_NE(resolve(steer).find("is not a residual-stream hook"), std::string::npos);
}

// The scope applies its edits to forward passes that bring their own hooks
// too: the caller captures the edited activation.
TEST(Edits, ActiveEditsEqualTheSameEditsPassedToTheRun) {
  auto model = test::reference_model("llama_gqa");
  const Edit zero = Edit::zero("blocks.0.attn.hook_z", {}, {1});
  RunOptions direct;
  direct.edits = {zero};
  const at::Tensor expected = model->run(kTokens, direct).logits;
  const at::Tensor clean = model->run(kTokens).logits;
  {
    ActiveEdits active({zero});
    RunOptions capture;
    capture.capture = NameFilter("blocks\\.0\\.attn\\.hook_z");
    const RunResult r = model->run(kTokens, capture);
    EXPECT_TRUE(at::allclose(r.logits, expected, 1e-6, 1e-6));
    EXPECT_EQ(r.cache.get("blocks.0.attn.hook_z").select(1, 1).abs().max().item<float>(), 0.0f);
    ActiveEdits none({});
    EXPECT_TRUE(at::allclose(model->run(kTokens).logits, clean, 1e-6, 1e-6));
  }
  EXPECT_TRUE(at::allclose(model->run(kTokens).logits, clean, 1e-6, 1e-6));
  EXPECT_FALSE(at::allclose(expected, clean, 1e-4, 1e-4));
}

TEST(Edits, ResampleReplacesTheUnitsWithTheSourcePromptsActivations) {
  auto model = test::reference_model("gpt2_a");
  probes::EditSpec spec = ablation(probes::EditSpec::Kind::resample, {{1, 0}}, {{0, 5}});
  spec.source_tokens = {kCorrupted};
  const auto edits = probes::resolve_edits(*model, {spec}, {});

  RunOptions capture;
  capture.capture = NameFilter("blocks\\.1\\.attn\\.hook_z|blocks\\.0\\.mlp\\.hook_post");
  const RunResult source = model->run(kCorrupted, capture);
  RunOptions by_hand;
  by_hand.edits = {Edit::replace("blocks.1.attn.hook_z", {}, source.cache.get("blocks.1.attn.hook_z").select(1, 0).unsqueeze(1), {0}),
                   Edit::replace("blocks.0.mlp.hook_post", {}, source.cache.get("blocks.0.mlp.hook_post").select(1, 5).unsqueeze(1), {5})};
  EXPECT_TRUE(at::allclose(logits_under(*model, edits, kTokens), model->run(kTokens, by_hand).logits, 1e-5, 1e-5));

  // Decoding with a KV cache meets each per-position edit once, as the full run does.
  const auto& t = dynamic_cast<const Transformer&>(*model);
  ActiveEdits active(edits);
  KVCache kv;
  ForwardArgs prefix;
  prefix.tokens = at::tensor(std::vector<int64_t>(kTokens.begin(), kTokens.begin() + 5), at::kLong).unsqueeze(0);
  prefix.kv = &kv;
  t.forward(prefix);
  ForwardArgs rest;
  rest.tokens = at::tensor(std::vector<int64_t>(kTokens.begin() + 5, kTokens.end()), at::kLong).unsqueeze(0);
  rest.kv = &kv;
  const at::Tensor last = t.forward(rest).logits[0][-1];
  EXPECT_TRUE(at::allclose(last, model->run(kTokens, by_hand).logits[-1], 1e-5, 1e-5));
}

TEST(Edits, MeanAblationUsesTheMeanOverEveryPositionOfTheSources) {
  auto model = test::reference_model("gpt2_a");
  probes::EditSpec spec = ablation(probes::EditSpec::Kind::mean, {{0, 1}});
  spec.source_tokens = {kTokens, kCorrupted};
  RunOptions capture;
  capture.capture = NameFilter("blocks\\.0\\.attn\\.hook_z");
  const at::Tensor mean = at::cat({model->run(kTokens, capture).cache.get("blocks.0.attn.hook_z"),
                                   model->run(kCorrupted, capture).cache.get("blocks.0.attn.hook_z")})
                              .mean(0);
  RunOptions by_hand;
  by_hand.edits = {Edit::replace("blocks.0.attn.hook_z", {}, mean.narrow(0, 1, 1), {1})};
  EXPECT_TRUE(at::allclose(logits_under(*model, probes::resolve_edits(*model, {spec}, {}), kTokens),
                           model->run(kTokens, by_hand).logits, 1e-5, 1e-5));
}

TEST(Edits, SteeringAddsTheScaledVectorAtItsPositions) {
  auto model = test::reference_model("gpt2_a");
  const int64_t d = model->info().d_model;
  probes::EditSpec steer;
  steer.kind = probes::EditSpec::Kind::steer;
  steer.hook = "blocks.1.hook_resid_pre";
  steer.coefficient = -2.5;
  steer.positions = {-1};
  for (int64_t i = 0; i < d; ++i) steer.vector.push_back(0.01f * float(i % 7));
  RunOptions capture;
  capture.capture = NameFilter("blocks\\.1\\.hook_resid_pre");
  const at::Tensor clean = model->run(kTokens, capture).cache.get("blocks.1.hook_resid_pre");
  ActiveEdits active(probes::resolve_edits(*model, {steer}, {}));
  const at::Tensor steered = model->run(kTokens, capture).cache.get("blocks.1.hook_resid_pre");
  const at::Tensor v = at::tensor(steer.vector) * steer.coefficient;
  EXPECT_TRUE(at::allclose(steered[-1] - clean[-1], v, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(steered.narrow(0, 0, kTokens.size() - 1), clean.narrow(0, 0, kTokens.size() - 1)));
}

TEST(Edits, DisabledEditsDoNothing) {
  auto model = test::reference_model("gpt2_a");
  probes::EditSpec off = ablation(probes::EditSpec::Kind::zero, {{0, 0}, {1, 1}});
  off.enabled = false;
  EXPECT_TRUE(probes::resolve_edits(*model, {off}, {}).empty());
}

}  // namespace
}  // namespace glassbox
