#pragma once
// A GPT-2-small-shaped transformer (12 layers, 12 heads, d_model 768, d_mlp
// 3072, vocabulary 50257, context 1024) with random weights, built in memory:
// timings without model files.
#include <ATen/ATen.h>

#include <cstdlib>
#include <memory>

#include "core/transformer.h"

namespace glassbox::bench {

// Also sets LibTorch's threads: every core, as the command line does, or
// GLASSBOX_BENCH_THREADS (1 gives stable timings on a shared machine).
inline std::unique_ptr<Transformer> gpt2_small_random(uint64_t seed = 0) {
  const char* threads = std::getenv("GLASSBOX_BENCH_THREADS");
  set_threads(threads ? std::atoi(threads) : 0);
  at::manual_seed(seed);
  TransformerConfig c;
  c.n_layers = 12;
  c.n_heads = c.n_kv_heads = 12;
  c.d_model = 768;
  c.d_head = 64;
  c.d_mlp = 3072;
  c.d_vocab = 50257;
  c.n_ctx = 1024;
  auto normal = [](std::vector<int64_t> shape) { return at::randn(shape) * 0.02; };
  auto ones = [](int64_t n) { return at::ones({n}); };
  auto zeros = [](int64_t n) { return at::zeros({n}); };
  const int64_t D = c.d_model, F = c.d_mlp;
  TransformerWeights w;
  w.W_E = normal({c.d_vocab, D});
  w.W_pos = normal({c.n_ctx, D});
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights lw;
    lw.ln1_w = ones(D);
    lw.ln1_b = zeros(D);
    lw.ln2_w = ones(D);
    lw.ln2_b = zeros(D);
    lw.W_Q = normal({D, D});
    lw.W_K = normal({D, D});
    lw.W_V = normal({D, D});
    lw.W_O = normal({D, D});
    lw.b_Q = zeros(D);
    lw.b_K = zeros(D);
    lw.b_V = zeros(D);
    lw.b_O = zeros(D);
    lw.W_in = normal({D, F});
    lw.b_in = zeros(F);
    lw.W_out = normal({F, D});
    lw.b_out = zeros(D);
    w.layers.push_back(lw);
  }
  w.ln_final_w = ones(D);
  w.ln_final_b = zeros(D);
  w.W_U = w.W_E.t();  // tied, as in GPT-2
  auto model = std::make_unique<Transformer>(c, w, "random GPT-2-small");
  model->describe("gpt2", "gpt2");
  return model;
}

}  // namespace glassbox::bench
