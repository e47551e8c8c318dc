// Hook points: capture with filters, write hooks, partial and incremental
// forward passes. On the committed GPT-2 and Llama reference models.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

std::unique_ptr<Model> gpt2() { return test::reference_model("gpt2_a"); }

RunOptions capture(const std::string& regex) {
  RunOptions o;
  o.capture = NameFilter(regex);
  return o;
}

TEST(Hooks, EveryAdvertisedHookIsCapturedWithItsShape) {
  auto model = gpt2();
  const auto& info = model->info();
  RunResult r = model->run(kTokens, capture(".*"));
  ASSERT_EQ(r.cache.names(), info.hook_names);
  const int64_t T = kTokens.size();
  EXPECT_EQ(r.cache.get("blocks.1.hook_resid_pre").sizes(), (at::IntArrayRef{T, info.d_model}));
  EXPECT_EQ(r.cache.get("blocks.0.attn.hook_z").sizes(), (at::IntArrayRef{T, info.n_heads, info.d_head}));
  EXPECT_EQ(r.cache.get("blocks.0.attn.hook_pattern").sizes(), (at::IntArrayRef{info.n_heads, T, T}));
  EXPECT_EQ(r.cache.get("blocks.0.ln1.hook_scale").sizes(), (at::IntArrayRef{T, 1}));
  EXPECT_EQ(r.cache.get("blocks.1.mlp.hook_post").sizes(), (at::IntArrayRef{T, info.d_mlp}));
  // Scores are masked with -inf above the diagonal, as TransformerLens does.
  EXPECT_TRUE(std::isinf(r.cache.get("blocks.0.attn.hook_attn_scores")[0][0][1].item<float>()));
}

TEST(Hooks, FilterCapturesOnlyMatchingNamesAndNoHooksGiveTheSameLogits) {
  auto model = gpt2();
  RunResult filtered = model->run(kTokens, capture("blocks\\.\\d+\\.hook_resid_post|.*hook_pattern"));
  EXPECT_EQ(filtered.cache.names(),
            (std::vector<std::string>{"blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post",
                                      "blocks.1.attn.hook_pattern", "blocks.1.hook_resid_post"}));
  RunResult plain = model->run(kTokens);
  EXPECT_EQ(plain.cache.size(), 0u);
  // Without captured patterns the attention may run fused (LibTorch 2): the same numbers
  // summed in another order.
  EXPECT_LE((plain.logits - filtered.logits).abs().max().item<double>(), 1e-5 * filtered.logits.abs().max().item<double>());
}

// The size shown and checked before a capture runs is what the capture then holds.
TEST(Hooks, TheCaptureEstimateIsWhatTheCaptureHolds) {
  for (const std::string name : {"gpt2_a", "llama_gqa", "neox_parallel"}) {
    auto model = test::reference_model(name);
    for (const std::string regex : {".*", ".*hook_pattern|blocks\\.1\\..*"}) {
      RunResult r = model->run(kTokens, capture(regex));
      int64_t bytes = 0, largest = 0;
      for (const auto& hook : r.cache.names()) {
        const int64_t n = r.cache.get(hook).numel() * int64_t{sizeof(float)};
        bytes += n;
        largest = std::max(largest, n);
      }
      const CaptureEstimate e =
          estimate_capture(model->info(), NameFilter(regex), static_cast<int64_t>(kTokens.size()), sizeof(float));
      EXPECT_EQ(e.hook_points, static_cast<int64_t>(r.cache.size())) << name << " " << regex;
      EXPECT_EQ(e.bytes, bytes) << name << " " << regex;
      EXPECT_EQ(e.largest_bytes, largest) << name << " " << regex;
    }
  }
}

TEST(Hooks, AStreamedCaptureHandsOverEachActivationAsItIsMadeAndKeepsNone) {
  auto model = test::reference_model("llama_gqa");
  const RunResult kept = model->run(kTokens, capture(".*"));
  std::vector<std::string> names;
  std::vector<at::Tensor> streamed;
  RunOptions o = capture(".*");
  o.stream = [&](const std::string& hook, const at::Tensor& t) {
    names.push_back(hook);
    streamed.push_back(t.clone());
  };
  const RunResult r = model->run(kTokens, o);
  EXPECT_EQ(r.cache.size(), 0u);
  ASSERT_EQ(names, kept.cache.names());
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_TRUE(at::equal(streamed[i], kept.cache.get(names[i]))) << names[i];
  EXPECT_TRUE(at::equal(r.logits, kept.logits));
}

TEST(Hooks, ReplaceAtOnePositionPatchesOnlyThatPositionAndLater) {
  auto model = gpt2();
  RunResult clean = model->run(kTokens, capture("blocks.1.hook_resid_pre"));
  at::Tensor patch = at::randn({model->info().d_model}) * 3;
  RunOptions o = capture("blocks.1.hook_resid_pre");
  o.edits.push_back(Edit::replace("blocks.1.hook_resid_pre", {4}, patch));
  RunResult patched = model->run(kTokens, o);
  at::Tensor seen = patched.cache.get("blocks.1.hook_resid_pre");
  EXPECT_TRUE(at::allclose(seen[4], patch.to(seen.device())));
  EXPECT_TRUE(at::allclose(seen.narrow(0, 0, 4), clean.cache.get("blocks.1.hook_resid_pre").narrow(0, 0, 4)));
  // Causality: logits before position 4 are untouched, later ones change.
  EXPECT_TRUE(at::allclose(patched.logits.narrow(0, 0, 4), clean.logits.narrow(0, 0, 4), 1e-5, 1e-6));
  EXPECT_GT((patched.logits[4] - clean.logits[4]).abs().max().item<float>(), 1e-3);
  // Negative positions count from the end.
  RunOptions last;
  last.edits.push_back(Edit::replace("blocks.1.hook_resid_pre", {-1}, patch));
  RunOptions explicit_last;
  explicit_last.edits.push_back(Edit::replace("blocks.1.hook_resid_pre", {int64_t(kTokens.size()) - 1}, patch));
  EXPECT_TRUE(at::equal(model->run(kTokens, last).logits, model->run(kTokens, explicit_last).logits));
}

TEST(Hooks, ZeroingAHeadEqualsScalingItByZeroAndTouchesOnlyThatHead) {
  auto model = gpt2();
  RunOptions zero = capture("blocks.0.attn.hook_z");
  zero.edits.push_back(Edit::zero("blocks.0.attn.hook_z", {}, {1}));
  RunOptions scale;
  scale.edits.push_back(Edit::scale("blocks.0.attn.hook_z", 0.0, {}, {1}));
  RunResult a = model->run(kTokens, zero), b = model->run(kTokens, scale);
  RunResult clean = model->run(kTokens, capture("blocks.0.attn.hook_z"));
  at::Tensor z = a.cache.get("blocks.0.attn.hook_z"), z0 = clean.cache.get("blocks.0.attn.hook_z");
  EXPECT_EQ(z.select(1, 1).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(z.select(1, 0), z0.select(1, 0)));
  EXPECT_TRUE(at::equal(z.select(1, 2), z0.select(1, 2)));
  EXPECT_TRUE(at::allclose(a.logits, b.logits));
  EXPECT_GT((a.logits - clean.logits).abs().max().item<float>(), 1e-4);
}

TEST(Hooks, NeuronEditsSelectNeuronsAtPositions) {
  auto model = gpt2();
  RunOptions o = capture("blocks.1.mlp.hook_post");
  o.edits.push_back(Edit::add("blocks.1.mlp.hook_post", {0, 2}, at::full({}, 10.0), {5, 7}));
  RunResult edited = model->run(kTokens, o);
  RunResult clean = model->run(kTokens, capture("blocks.1.mlp.hook_post"));
  at::Tensor diff = edited.cache.get("blocks.1.mlp.hook_post") - clean.cache.get("blocks.1.mlp.hook_post");
  at::Tensor expected = at::zeros_like(diff);
  for (int p : {0, 2}) {
    for (int n : {5, 7}) expected[p][n] = 10.0;
  }
  EXPECT_TRUE(at::allclose(diff, expected, 1e-5, 1e-5));
}

TEST(Hooks, CustomEditSeesBatchFirstTensor) {
  auto model = gpt2();
  RunOptions o;
  int64_t seen_dims = 0;
  o.edits.push_back(Edit::custom("blocks.0.hook_resid_post", [&](const at::Tensor& x) {
    seen_dims = x.dim();
    return x * 0;
  }));
  RunOptions zero;
  zero.edits.push_back(Edit::zero("blocks.0.hook_resid_post"));
  EXPECT_TRUE(at::allclose(model->run(kTokens, o).logits, model->run(kTokens, zero).logits));
  EXPECT_EQ(seen_dims, 3);
}

TEST(Hooks, BadEditsAreClearErrors) {
  auto model = gpt2();
  RunOptions unknown;
  unknown.edits.push_back(Edit::zero("blocks.9.hook_resid_pre"));
  EXPECT_THROW(model->run(kTokens, unknown), Error);
  RunOptions position;
  position.edits.push_back(Edit::zero("blocks.0.hook_resid_pre", {40}));
  EXPECT_THROW(model->run(kTokens, position), Error);
  RunOptions head;
  head.edits.push_back(Edit::zero("blocks.0.attn.hook_z", {}, {4}));
  EXPECT_THROW(model->run(kTokens, head), Error);
  EXPECT_THROW(NameFilter("blocks.(("), Error);
}

// Positions after a cut can be computed later from the keys/values of those
// before it: the basis of generation and of back-patching's fast path.
TEST(Forward, IncrementalDecodingWithKVCacheEqualsOnePass) {
  for (const char* name : {"models/gpt2_a", "models/llama3_tied", "models/neox_parallel"}) {
    auto model = load_model(test::data(name));
    at::Tensor ids = at::tensor(kTokens, at::kLong).unsqueeze(0);
    ForwardArgs whole;
    whole.tokens = ids;
    at::Tensor full = model->forward(whole).logits;
    KVCache kv;
    ForwardArgs first;
    first.tokens = ids.narrow(1, 0, 5);
    first.kv = &kv;
    at::Tensor a = model->forward(first).logits;
    ForwardArgs rest;
    rest.tokens = ids.narrow(1, 5, 3);
    rest.kv = &kv;
    at::Tensor b = model->forward(rest).logits;
    EXPECT_EQ(kv.length(), 8);
    EXPECT_TRUE(at::allclose(at::cat({a, b}, 1), full, 1e-4, 1e-5)) << name;
  }
}

TEST(Forward, StartingAtALaterLayerFromItsResidualEqualsTheFullPass) {
  auto model = gpt2();
  RunResult r = model->run(kTokens, capture("blocks.1.hook_resid_pre"));
  ForwardArgs args;
  args.start_layer = 1;
  args.resid = r.cache.get("blocks.1.hook_resid_pre").unsqueeze(0);
  EXPECT_TRUE(at::allclose(model->forward(args).logits[0], r.logits, 1e-5, 1e-6));
}

TEST(Forward, ReportsEveryBlockAndStopsWhenCancelled) {
  auto model = gpt2();
  const int L = model->info().n_layers;
  std::vector<std::string> messages;
  std::vector<double> fractions;
  Progress progress;
  progress.report = [&](double f, const std::string& m) {
    fractions.push_back(f);
    messages.push_back(m);
  };
  RunOptions options;
  options.progress = &progress;
  const at::Tensor logits = model->run(kTokens, options).logits;
  EXPECT_TRUE(at::equal(logits, model->run(kTokens).logits)) << "progress does not change the result";
  ASSERT_EQ(messages.size(), size_t(L));
  EXPECT_EQ(messages.front(), "block 0");
  EXPECT_EQ(messages.back(), "block " + std::to_string(L - 1));
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);

  int blocks = 0;
  progress.cancelled = [&] { return blocks++ == 1; };  // Cancel pressed during the second block
  EXPECT_THROW(model->run(kTokens, options), Cancelled);
  EXPECT_EQ(blocks, 2) << "the pass stops at the first check after Cancel";
}

}  // namespace
}  // namespace glassbox
