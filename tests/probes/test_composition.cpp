// composition: Q/K/V composition scores and component-wise scores against
// dense d_model×d_model matrices formed here (in the test only), the
// singular-component intervention against a hook-level edit of the head's
// output, weight restoration, progress/cancel and the CLI.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/h5.h"
#include "probes/composition.h"
#include "core/model_fixtures.h"

namespace glassbox::probes {
namespace {

// Per-head slices of the stored [d_model, H*d_head] weights, float64 on the CPU.
struct HeadWeights {
  const Transformer& t;
  at::Tensor slice(const at::Tensor& m, int dim, int index) const {
    return m.narrow(dim, int64_t(index) * t.config().d_head, t.config().d_head).to(at::kCPU, at::kDouble);
  }
  int kv(int h) const { return h / (t.config().n_heads / t.config().n_kv_heads); }
  at::Tensor W_O(int l, int h) const { return slice(t.weights().layers[l].W_O, 0, h); }
  at::Tensor ov(int l, int h) const { return at::matmul(slice(t.weights().layers[l].W_V, 1, kv(h)), W_O(l, h)); }
  at::Tensor qk(int l, int h) const {
    const LayerWeights& w = t.weights().layers[l];
    return at::matmul(slice(w.W_Q, 1, h), slice(w.W_K, 1, kv(h)).t());
  }
};

double composition_score(const at::Tensor& a, const at::Tensor& b) {
  return (at::matmul(a, b).norm() / (a.norm() * b.norm())).item<double>();
}

TEST(Composition, ScoresEqualTheDenseFormulaForEveryPair) {
  for (const std::string name : {"gpt2_b", "llama_gqa"}) {
    auto model = test::reference_model(name);
    const auto& t = dynamic_cast<const Transformer&>(*model);
    const HeadWeights w{t};
    const int L = t.config().n_layers, H = t.config().n_heads;
    const CompositionResult r = composition(*model, {}, Progress{});
    ASSERT_EQ(r.q.sizes(), (at::IntArrayRef{L * H, L * H}));
    for (int sl = 0; sl < L; ++sl) {
      for (int sh = 0; sh < H; ++sh) {
        for (int rl = 0; rl < L; ++rl) {
          for (int rh = 0; rh < H; ++rh) {
            const int64_t s = sl * H + sh, d = rl * H + rh;
            if (sl >= rl) {
              EXPECT_TRUE(std::isnan(r.q[s][d].item<float>()) && std::isnan(r.k[s][d].item<float>()) &&
                          std::isnan(r.v[s][d].item<float>()));
              continue;
            }
            const at::Tensor a = w.ov(sl, sh);
            const std::string what = name + " " + std::to_string(s) + "->" + std::to_string(d);
            EXPECT_NEAR(r.q[s][d].item<double>(), composition_score(a, w.qk(rl, rh)), 1e-5) << what;
            EXPECT_NEAR(r.k[s][d].item<double>(), composition_score(a, w.qk(rl, rh).t()), 1e-5) << what;
            EXPECT_NEAR(r.v[s][d].item<double>(), composition_score(a, w.ov(rl, rh)), 1e-5) << what;
          }
        }
      }
    }
  }
}

TEST(Composition, ComponentScoresEqualTheDenseFormula) {
  auto model = test::reference_model("gpt2_b");
  const auto& t = dynamic_cast<const Transformer&>(*model);
  const HeadWeights w{t};
  const int L = t.config().n_layers, H = t.config().n_heads, dh = t.config().d_head;
  CompositionParams params;
  params.sender = HeadRef{0, 2};
  const CompositionResult r = composition(*model, params, Progress{});
  auto [U, S, Vh] = at::linalg_svd(w.ov(0, 2), false);
  for (int i = 0; i < dh; ++i) EXPECT_NEAR(r.sender_singular_values[i].item<double>(), S[i].item<double>(), 1e-5);
  for (int rl = 0; rl < L; ++rl) {
    for (int rh = 0; rh < H; ++rh) {
      const int64_t d = rl * H + rh;
      const at::Tensor receivers[3] = {w.qk(rl, rh), w.qk(rl, rh).t(), w.ov(rl, rh)};
      const at::Tensor got[3] = {r.component_q, r.component_k, r.component_v};
      for (int m = 0; m < 3; ++m) {
        for (int i = 0; i < dh; ++i) {
          if (rl == 0) {
            EXPECT_TRUE(std::isnan(got[m][i][d].item<float>()));
            continue;
          }
          const double expected = (at::matmul(Vh[i], receivers[m]).norm() / receivers[m].norm()).item<double>();
          EXPECT_NEAR(got[m][i][d].item<double>(), expected, 1e-5) << "mode " << m << " component " << i;
        }
      }
    }
  }
  const std::vector<Plot> plots = to_plots(r);
  ASSERT_EQ(plots.size(), 7u);
  EXPECT_EQ(plots[3].name, "component_scores_q");
  EXPECT_EQ(plots[3].shape, (std::vector<int64_t>{dh, L * H}));
}

const std::vector<int64_t> kTokens = {5, 300, 17, 42, 511, 8, 99};

TEST(Composition, InterventionEqualsScalingTheHeadOutputAlongItsSingularDirection) {
  for (const std::string name : {"gpt2_b", "llama_gqa"}) {
    auto model = test::reference_model(name);
    auto& t = dynamic_cast<Transformer&>(*model);
    const HeadWeights w{t};
    const int layer = 1, head = 1, component = 2;
    const double scale = 0.25;
    const at::Tensor W_O_before = t.weights().layers[layer].W_O;
    const at::Tensor copy_before = W_O_before.clone();

    SvdInterventionParams params;
    params.tokens = kTokens;
    params.head = {layer, head};
    params.component = component;
    params.scale = scale;
    params.target = 17;
    const SvdInterventionResult r = svd_intervention(*model, params, Progress{});

    // Independently: the head's output z_h W_O^h loses (1 - s) of its part along v_i.
    auto [U, S, Vh] = at::linalg_svd(w.ov(layer, head), false);
    const at::Tensor v = Vh[component];
    at::Tensor z_seen;
    RunOptions options;
    options.edits.push_back(Edit::custom(hook_name(Hook::z, layer), [&](const at::Tensor& z) {
      z_seen = z;
      return z;
    }));
    options.edits.push_back(Edit::custom(hook_name(Hook::attn_out, layer), [&](const at::Tensor& out) {
      const at::Tensor head_out = at::matmul(z_seen.select(2, head).to(at::kDouble).cpu(), w.W_O(layer, head));
      const at::Tensor along = at::matmul(head_out, v).unsqueeze(-1) * v;
      return out - ((1 - scale) * along).to(out.options());
    }));
    const at::Tensor expected = model->run(kTokens, options).logits[-1].cpu();
    const at::Tensor clean = model->run(kTokens).logits[-1].cpu();
    EXPECT_LT((r.edited_logits - expected).abs().max().item<double>(), 1e-4) << name;
    EXPECT_LT((r.clean_logits - clean).abs().max().item<double>(), 1e-6) << name;
    EXPECT_GT((r.edited_logits - clean).abs().max().item<double>(), 1e-4) << name;
    EXPECT_NEAR(r.singular_value, S[component].item<double>(), 1e-5);
    const at::Tensor clean_probs = at::softmax(clean.to(at::kDouble), 0), edited_probs = at::softmax(expected.to(at::kDouble), 0);
    EXPECT_NEAR(r.clean_prob, clean_probs[17].item<double>(), 1e-6);
    EXPECT_NEAR(r.edited_prob, edited_probs[17].item<double>(), 1e-5);
    EXPECT_EQ(r.clean_rank, (clean > clean[17]).sum().item<int64_t>());

    // The original tensor is back, untouched.
    EXPECT_TRUE(t.weights().layers[layer].W_O.is_same(W_O_before));
    EXPECT_TRUE(at::equal(W_O_before, copy_before));
    EXPECT_EQ(to_plots(r).size(), 2u);
  }
}

TEST(Composition, InterventionRestoresTheWeightWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  auto& t = dynamic_cast<Transformer&>(*model);
  const at::Tensor before = t.weights().layers[0].W_O;
  SvdInterventionParams params;
  params.tokens = kTokens;
  params.head = {0, 3};
  int checks = 0;
  Progress cancel_in_edit;
  cancel_in_edit.cancelled = [&] { return ++checks >= 1; };  // the first check runs with the edit in place
  EXPECT_THROW(svd_intervention(*model, params, cancel_in_edit), Cancelled);
  EXPECT_GE(checks, 1);
  EXPECT_TRUE(t.weights().layers[0].W_O.is_same(before));

  Progress cancel;
  cancel.cancelled = [] { return true; };
  EXPECT_THROW(composition(*model, {}, cancel), Cancelled);
}

TEST(Composition, CliWritesScoreMatricesAndTheIntervention) {
  test::TempDir dir;
  const std::string out = dir.file("comp.h5");
  const test::CliRun run = test::run_cli("probe composition --model " + test::data("models/gpt2_b") +
                          " --sender 0:1 --intervene 1:2 --component 0 --scale 0 --tokens 5,300,17,42 --target 17 --out " +
                          out);
  ASSERT_EQ(run.status, 0) << run.err;
  h5::Reader file(out);
  const std::vector<Plot> plots = read_plots(file);
  auto model = test::reference_model("gpt2_b");
  const CompositionResult expected = composition(*model, {}, Progress{});
  int found = 0;
  for (const Plot& p : plots) {
    if (p.name == "composition_k") {
      ++found;
      ASSERT_EQ(p.shape, (std::vector<int64_t>{12, 12}));
      EXPECT_EQ(p.y.labels[5], "L1H1");
      for (int64_t s = 0; s < 12; ++s) {
        for (int64_t d = 0; d < 12; ++d) {
          const float want = expected.k[s][d].item<float>();
          if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(p.at(s, d)));
          } else {
            EXPECT_NEAR(p.at(s, d), want, 1e-6);
          }
        }
      }
    }
    found += p.name == "composition_q" || p.name == "composition_v" || p.name == "component_scores_v" ||
             p.name == "intervention_target" || p.name == "intervention_top_changes";
  }
  EXPECT_EQ(found, 6);
  EXPECT_NE(read_plot_meta(file).params_json.find("\"intervene\":[1,2]"), std::string::npos);
  const test::CliRun bad = test::run_cli("probe composition --model " + test::data("models/gpt2_b") +
                          " --intervene 1:2 --component 99 --tokens 1,2 --out " + out);
  EXPECT_NE(bad.status, 0);
}

}  // namespace
}  // namespace glassbox::probes
