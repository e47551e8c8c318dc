// head-svd: the factored SVD against a dense SVD of the formed d_model×d_model
// matrices (formed here, in the test only), the token read-outs, GQA head
// mapping, progress/cancel and the CLI.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdlib>

#include "core/error.h"
#include "core/h5.h"
#include "core/plot.h"
#include "probes/head_svd.h"
#include "core/model_fixtures.h"

namespace glassbox::probes {
namespace {

// OV and QK of head h straight from the stored [d_model, H*d_head] layout.
struct DenseCircuits {
  at::Tensor ov, qk;
};
DenseCircuits dense_circuits(const Transformer& t, int layer, int h) {
  const auto& c = t.config();
  const LayerWeights& w = t.weights().layers[layer];
  const int kv = h / (c.n_heads / c.n_kv_heads);
  auto cols = [&](const at::Tensor& m, int index) { return m.narrow(1, int64_t(index) * c.d_head, c.d_head).to(at::kCPU, at::kDouble); };
  const at::Tensor W_O = w.W_O.narrow(0, int64_t(h) * c.d_head, c.d_head).to(at::kCPU, at::kDouble);
  return {at::matmul(cols(w.W_V, kv), W_O), at::matmul(cols(w.W_Q, h), cols(w.W_K, kv).t())};
}

double max_rel(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kCPU, at::kDouble) - b.to(at::kCPU, at::kDouble)).abs().max().item<double>() /
         b.abs().max().item<double>();
}

void expect_matches_dense(const at::Tensor& dense, const FactoredSvd& svd, const std::string& what) {
  const int64_t r = svd.S.size(0);
  const at::Tensor dense_s = at::linalg_svdvals(dense).narrow(0, 0, r);
  EXPECT_LT(max_rel(svd.S, dense_s), 1e-4) << what;
  const at::Tensor rebuilt = at::matmul(svd.U * svd.S, svd.V.t());
  EXPECT_LT(max_rel(rebuilt, dense), 1e-4) << what;
  // Orthonormal columns.
  const at::Tensor eye = at::eye(r, at::kDouble);
  EXPECT_LT((at::matmul(svd.U.t(), svd.U).cpu() - eye).abs().max().item<double>(), 1e-6) << what;
  EXPECT_LT((at::matmul(svd.V.t(), svd.V).cpu() - eye).abs().max().item<double>(), 1e-6) << what;
}

TEST(HeadSvd, FactoredSvdEqualsDenseSvdForEveryHead) {
  for (const std::string name : {"gpt2_a", "llama_gqa"}) {
    auto model = test::reference_model(name);
    const auto& t = dynamic_cast<const Transformer&>(*model);
    for (int l = 0; l < t.config().n_layers; ++l) {
      for (int h = 0; h < t.config().n_heads; ++h) {
        const DenseCircuits dense = dense_circuits(t, l, h);
        const std::string what = name + " L" + std::to_string(l) + "H" + std::to_string(h);
        expect_matches_dense(dense.ov, factored_svd(ov_factors(t, l, h)), what + " OV");
        expect_matches_dense(dense.qk, factored_svd(qk_factors(t, l, h)), what + " QK");
      }
    }
  }
}

TEST(HeadSvd, GqaHeadsShareTheirKeyValueHead) {
  auto model = test::reference_model("llama_gqa");
  const auto& t = dynamic_cast<const Transformer&>(*model);
  ASSERT_EQ(t.config().n_heads, 2 * t.config().n_kv_heads);
  // Heads 0 and 1 read the same W_V, so their OV share the input space.
  const FactoredSvd a = factored_svd(ov_factors(t, 0, 0)), b = factored_svd(ov_factors(t, 0, 1));
  const at::Tensor projected = at::matmul(a.U, at::matmul(a.U.t(), b.U));
  EXPECT_LT((projected - b.U).abs().max().item<double>(), 1e-6);
  const FactoredSvd c = factored_svd(ov_factors(t, 0, 2));
  EXPECT_GT((at::matmul(a.U, at::matmul(a.U.t(), c.U)) - c.U).abs().max().item<double>(), 1e-2);
}

TEST(HeadSvd, TokenReadoutsAreTheTopTokensOfTheDenseSingularVectors) {
  auto model = test::reference_model("gpt2_b");
  const auto& t = dynamic_cast<const Transformer&>(*model);
  HeadSvdParams params;
  params.head = {2, 1};
  params.directions = 3;
  params.top_k = 5;
  const HeadSvdResult r = head_svd(*model, params, Progress{});
  const DenseCircuits dense = dense_circuits(t, 2, 1);
  const at::Tensor W_E = t.weights().W_E.to(at::kCPU, at::kDouble), W_U = t.weights().W_U.to(at::kCPU, at::kDouble);

  // For each pair, the sign that makes the primary side's largest-|score| token positive.
  auto check = [&](const at::Tensor& dense_matrix, bool ov, const std::vector<TokenReadout>& primary_out,
                   const std::vector<TokenReadout>& secondary_out) {
    auto [U, S, Vh] = at::linalg_svd(dense_matrix, false);
    ASSERT_EQ(primary_out.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      at::Tensor u = U.select(1, i), v = Vh.select(0, i);
      at::Tensor primary = ov ? at::matmul(v, W_U) : at::matmul(W_E, u);
      at::Tensor secondary = ov ? at::matmul(W_E, u) : at::matmul(W_E, v);
      const double sign = primary[primary.abs().argmax()].item<double>() < 0 ? -1.0 : 1.0;
      auto expect_top = [&](const at::Tensor& scores, const TokenReadout& got) {
        auto [values, ids] = (scores * sign).topk(5);
        for (int k = 0; k < 5; ++k) {
          EXPECT_EQ(got.ids[k], ids[k].item<int64_t>()) << "direction " << i << " rank " << k;
          EXPECT_NEAR(got.scores[k], values[k].item<double>(), 1e-4 * values.abs().max().item<double>());
        }
      };
      expect_top(primary, primary_out[i]);
      expect_top(secondary, secondary_out[i]);
    }
  };
  check(dense.ov, true, r.ov_output, r.ov_input);
  check(dense.qk, false, r.qk_query, r.qk_key);
  EXPECT_EQ(r.ov_output[0].texts[0], "<" + std::to_string(r.ov_output[0].ids[0]) + ">");

  const std::vector<Plot> plots = to_plots(r);
  ASSERT_EQ(plots.size(), 6u);
  EXPECT_EQ(plots[0].name, "ov_singular_values");
  EXPECT_EQ(plots[0].shape, (std::vector<int64_t>{t.config().d_head}));
  EXPECT_EQ(plots[2].name, "ov_output_tokens");
  EXPECT_EQ(plots[2].shape, (std::vector<int64_t>{15, 4}));
  EXPECT_EQ(plots[2].y.labels[0].rfind("s0 #1 <", 0), 0u);
}

TEST(HeadSvd, ReportsProgressAndCancels) {
  auto model = test::reference_model("gpt2_a");
  HeadSvdParams params;
  double last = -1;
  Progress progress;
  progress.report = [&](double f, const std::string&) {
    EXPECT_GE(f, last);
    last = f;
  };
  head_svd(*model, params, progress);
  EXPECT_EQ(last, 1.0);
  Progress cancel;
  cancel.cancelled = [] { return true; };
  EXPECT_THROW(head_svd(*model, params, cancel), Cancelled);
}

TEST(HeadSvd, CliWritesSpectraAndTokenTables) {
  test::TempDir dir;
  const std::string out = dir.file("svd.h5");
  const test::CliRun run = test::run_cli("probe head-svd --model " + test::data("models/llama_gqa") +
                          " --head 1:3 --directions 2 --top-k 4 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  h5::Reader file(out);
  const std::vector<Plot> plots = read_plots(file);
  ASSERT_EQ(plots.size(), 6u);
  auto model = test::reference_model("llama_gqa");
  const auto& t = dynamic_cast<const Transformer&>(*model);
  const FactoredSvd qk = factored_svd(qk_factors(t, 1, 3));
  for (const Plot& p : plots) {
    if (p.name == "qk_singular_values") {
      for (int64_t i = 0; i < qk.S.size(0); ++i) EXPECT_NEAR(p.data[i], qk.S[i].item<double>(), 1e-5);
    }
    if (p.name == "qk_key_tokens") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{8, 4}));
    }
  }
  EXPECT_EQ(read_plot_meta(file).probe, "head-svd");
  const test::CliRun bad = test::run_cli("probe head-svd --model " + test::data("models/llama_gqa") +
                          " --head 1:9 --out " + out);
  EXPECT_NE(bad.status, 0);
}

}  // namespace
}  // namespace glassbox::probes
