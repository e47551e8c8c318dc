#include "datasets/train_transformer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/safetensors.h"

namespace glassbox::datasets {

void TransformerTrainConfig::validate(const std::string& where) const {
  if (n_layers < 1 || n_heads < 1 || d_model < 1 || d_mlp < 1) fail(where, "layers, heads and widths must be positive");
  if (d_model % n_heads) fail(where, "d_model (" + std::to_string(d_model) + ") must be a multiple of heads");
  if (n_ctx < 2) fail(where, "context length must be at least 2");
  if (steps < 1 || batch < 1) fail(where, "steps and batch size must be at least 1");
  if (!(lr > 0)) fail(where, "learning rate must be positive");
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) fail(where, "Adam betas must be in [0, 1)");
  if (!(weight_decay >= 0)) fail(where, "weight decay must not be negative");
  if (warmup < 0 || log_every < 0) fail(where, "warm-up and log interval must not be negative");
}

namespace {

struct SetScore {
  double accuracy = 0, loss = 0;
};

// Answer-token accuracy and mean cross-entropy of a set, in chunks; with
// max_rows > 0, of at most that many rows spread evenly over the set.
SetScore score_set(const Model& model, const PromptSet& set, int64_t max_rows = 0) {
  at::NoGradGuard no_grad;
  constexpr int64_t kChunk = 4096;
  at::Tensor tokens = set.tokens, all_targets = set.targets;
  if (max_rows > 0 && tokens.size(0) > max_rows) {
    at::Tensor rows = (at::arange(max_rows, at::kLong) * tokens.size(0)).div(max_rows, "floor");
    tokens = tokens.index_select(0, rows);
    all_targets = all_targets.index_select(0, rows);
  }
  const int64_t n = tokens.size(0);
  double correct = 0, loss = 0;
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t end = std::min(n, start + kChunk);
    ForwardArgs args;
    args.tokens = tokens.slice(0, start, end).to(model.device());
    at::Tensor logits = model.forward(args).logits.select(1, -1).to(at::kFloat);
    at::Tensor targets = all_targets.slice(0, start, end).to(model.device());
    correct += logits.argmax(-1).eq(targets).sum().item<double>();
    loss += at::cross_entropy_loss(logits, targets, {}, at::Reduction::Sum).item<double>();
  }
  return {correct / double(n), loss / double(n)};
}

// Fresh weights in GPT-2's initialisation: N(0, 0.02²), residual-output
// projections scaled by 1/√(2L), LayerNorms at identity, zero biases.
TransformerWeights initial_weights(const TransformerConfig& c, const c10::Device& device) {
  const int64_t D = c.d_model;
  auto normal = [&](std::vector<int64_t> shape, double std) { return at::normal(0.0, std, shape).to(device); };
  auto zeros = [&](int64_t n) { return at::zeros({n}, device); };
  auto ones = [&](int64_t n) { return at::ones({n}, device); };
  const double out_std = 0.02 / std::sqrt(2.0 * c.n_layers);
  TransformerWeights w;
  w.W_E = normal({c.d_vocab, D}, 0.02);
  w.W_pos = normal({c.n_ctx, D}, 0.01);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights lw;
    lw.ln1_w = ones(D), lw.ln1_b = zeros(D), lw.ln2_w = ones(D), lw.ln2_b = zeros(D);
    lw.W_Q = normal({D, D}, 0.02), lw.W_K = normal({D, D}, 0.02), lw.W_V = normal({D, D}, 0.02);
    lw.b_Q = zeros(D), lw.b_K = zeros(D), lw.b_V = zeros(D);
    lw.W_O = normal({D, D}, out_std), lw.b_O = zeros(D);
    lw.W_in = normal({D, c.d_mlp}, 0.02), lw.b_in = zeros(c.d_mlp);
    lw.W_out = normal({c.d_mlp, D}, out_std), lw.b_out = zeros(D);
    w.layers.push_back(std::move(lw));
  }
  w.ln_final_w = ones(D), w.ln_final_b = zeros(D);
  return w;
}

}  // namespace

std::vector<double> prompt_accuracies(const Model& model, const PromptTask& task) {
  std::vector<double> out;
  for (const PromptSet& set : task.sets) out.push_back(score_set(model, set).accuracy);
  return out;
}

TransformerTrainResult train_transformer(const PromptTask& task, const TransformerTrainConfig& config,
                                         const Progress& progress) {
  config.validate("train transformer");
  if (task.max_length() > config.n_ctx) {
    fail("train transformer", "prompts of " + std::to_string(task.max_length()) +
                                  " tokens do not fit the context length " + std::to_string(config.n_ctx));
  }
  const c10::Device device(config.device);
  at::manual_seed(config.seed);

  TransformerConfig c;
  c.n_layers = config.n_layers;
  c.n_heads = c.n_kv_heads = config.n_heads;
  c.d_model = config.d_model;
  c.d_head = config.d_model / config.n_heads;
  c.d_mlp = config.d_mlp;
  c.d_vocab = task.vocab.size();
  c.n_ctx = config.n_ctx;
  c.norm = TransformerConfig::Norm::layernorm;
  c.norm_eps = 1e-5;
  c.act = TransformerConfig::Act::gelu_new;
  c.learned_pos = true;

  TransformerWeights w = initial_weights(c, device);
  // Matrices decay, LayerNorm weights and biases do not (GPT-2 practice).
  std::vector<at::Tensor> decayed = {w.W_E, w.W_pos}, not_decayed = {w.ln_final_w, w.ln_final_b};
  for (LayerWeights& lw : w.layers) {
    for (at::Tensor t : {lw.W_Q, lw.W_K, lw.W_V, lw.W_O, lw.W_in, lw.W_out}) decayed.push_back(t);
    for (at::Tensor t : {lw.ln1_w, lw.ln1_b, lw.ln2_w, lw.ln2_b, lw.b_Q, lw.b_K, lw.b_V, lw.b_O, lw.b_in, lw.b_out}) {
      not_decayed.push_back(t);
    }
  }
  for (at::Tensor& t : decayed) t.set_requires_grad(true);
  for (at::Tensor& t : not_decayed) t.set_requires_grad(true);
  auto options = [&](double decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(config.lr).betas({config.beta1, config.beta2}).weight_decay(decay));
  };
  torch::optim::AdamW optimizer({torch::optim::OptimizerParamGroup(decayed, options(config.weight_decay)),
                                 torch::optim::OptimizerParamGroup(not_decayed, options(0.0))},
                                torch::optim::AdamWOptions(config.lr));

  w.W_U = w.W_E.t();
  Transformer model(c, w, "train transformer");

  std::vector<const PromptSet*> train_sets;
  int64_t n_train = 0;
  for (const PromptSet& s : task.sets) {
    if (s.train) {
      train_sets.push_back(&s);
      n_train += s.tokens.size(0);
    }
  }
  if (train_sets.empty()) fail("train transformer", "the task has nothing to train on");

  TransformerTrainResult result;
  for (const PromptSet& s : task.sets) result.set_names.push_back(s.name);
  result.curves = TrainingCurves({"train"}, result.set_names);
  result.curves.x_label = "step";
  result.curves.loss_label = "cross-entropy";
  const int64_t log_every = config.log_every > 0 ? config.log_every : std::max<int64_t>(1, config.steps / 100);

  // Curve points score a fixed, evenly spread sample of each set; the final
  // point scores every row.
  constexpr int64_t kCurveRows = 2048;
  auto evaluate = [&](int64_t step) {
    const int64_t max_rows = step == config.steps ? 0 : kCurveRows;
    std::vector<double> accuracy;
    double train_loss = 0, train_rows = 0;
    for (const PromptSet& s : task.sets) {
      SetScore score = score_set(model, s, max_rows);
      accuracy.push_back(score.accuracy);
      if (s.train) {
        const double rows = double(max_rows > 0 ? std::min(max_rows, s.tokens.size(0)) : s.tokens.size(0));
        train_loss += score.loss * rows;
        train_rows += rows;
      }
    }
    train_loss /= train_rows;
    result.final_accuracy = accuracy;
    result.curves.add(double(step), {train_loss}, accuracy);
    std::ostringstream message;
    message << "step " << step << "/" << config.steps << ": loss " << train_loss;
    for (size_t i = 0; i < accuracy.size(); ++i) message << ", " << result.set_names[i] << " " << accuracy[i];
    progress.update(double(step) / double(config.steps), message.str());
  };

  evaluate(0);
  using Clock = std::chrono::steady_clock;
  for (int64_t step = 1; step <= config.steps; ++step) {
    progress.check();
    auto start = Clock::now();
    const double lr = config.lr * std::min(1.0, double(step) / double(std::max<int64_t>(1, config.warmup)));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    optimizer.zero_grad();
    // The tied unembedding as a fresh view of the updated embedding.
    model.mutable_weights().W_U = w.W_E.t();
    at::Tensor loss_sum = at::zeros({}, device);
    int64_t rows = 0;
    for (const PromptSet* s : train_sets) {
      const int64_t n = s->tokens.size(0);
      const int64_t b = std::max<int64_t>(1, config.batch * n / n_train);
      at::Tensor pick = at::randint(n, {b}, at::kLong);
      ForwardArgs args;
      args.tokens = s->tokens.index_select(0, pick).to(device);
      at::Tensor logits = model.forward(args).logits.select(1, -1);
      loss_sum = loss_sum + at::cross_entropy_loss(logits, s->targets.index_select(0, pick).to(device), {},
                                                   at::Reduction::Sum);
      rows += b;
    }
    (loss_sum / double(rows)).backward();
    optimizer.step();
    if (device.is_cuda()) loss_sum.item<double>();  // wait for the step, so the timing is honest
    result.train_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (step % log_every == 0 || step == config.steps) {
      model.mutable_weights().W_U = w.W_E.t();
      evaluate(step);
    }
  }

  result.config = c;
  auto host = [](const at::Tensor& t) { return t.detach().to(at::kCPU, at::kFloat).contiguous(); };
  result.weights = model.weights();
  TransformerWeights& out = result.weights;
  out.W_E = host(out.W_E), out.W_pos = host(out.W_pos), out.W_U = out.W_E.t();
  out.ln_final_w = host(out.ln_final_w), out.ln_final_b = host(out.ln_final_b);
  for (LayerWeights& lw : out.layers)
    for (at::Tensor* t : lw.tensors())
      if (t->defined()) *t = host(*t);
  return result;
}

void save_transformer_model(const PromptTask& task, const TransformerTrainConfig& config,
                            const TransformerTrainResult& result, const std::string& dir, const std::string& command) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create the model folder: " + ec.message());
  const TransformerConfig& c = result.config;
  const TransformerWeights& w = result.weights;

  // Hugging Face GPT-2 names; Conv1D weights are [in, out], which is x @ W's layout.
  std::vector<std::pair<std::string, at::Tensor>> named = {{"wte.weight", w.W_E}, {"wpe.weight", w.W_pos}};
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[size_t(l)];
    const std::string h = "h." + std::to_string(l) + ".";
    named.insert(named.end(), {{h + "ln_1.weight", lw.ln1_w},
                               {h + "ln_1.bias", lw.ln1_b},
                               {h + "attn.c_attn.weight", at::cat({lw.W_Q, lw.W_K, lw.W_V}, 1)},
                               {h + "attn.c_attn.bias", at::cat({lw.b_Q, lw.b_K, lw.b_V})},
                               {h + "attn.c_proj.weight", lw.W_O},
                               {h + "attn.c_proj.bias", lw.b_O},
                               {h + "ln_2.weight", lw.ln2_w},
                               {h + "ln_2.bias", lw.ln2_b},
                               {h + "mlp.c_fc.weight", lw.W_in},
                               {h + "mlp.c_fc.bias", lw.b_in},
                               {h + "mlp.c_proj.weight", lw.W_out},
                               {h + "mlp.c_proj.bias", lw.b_out}});
  }
  named.insert(named.end(), {{"ln_f.weight", w.ln_final_w}, {"ln_f.bias", w.ln_final_b}});
  std::vector<TensorToWrite> tensors;
  for (auto& [name, t] : named) {
    t = t.contiguous();
    tensors.push_back({name, DType::F32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float)});
  }
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});

  nlohmann::json accuracy = nlohmann::json::object();
  for (size_t i = 0; i < result.set_names.size(); ++i) accuracy[result.set_names[i]] = result.final_accuracy[i];
  nlohmann::json cfg = {
      {"model_type", "glassbox_transformer"},
      {"architectures", {"GPT2LMHeadModel"}},
      {"n_layer", c.n_layers},
      {"n_head", c.n_heads},
      {"n_embd", c.d_model},
      {"n_inner", c.d_mlp},
      {"n_positions", c.n_ctx},
      {"vocab_size", c.d_vocab},
      {"layer_norm_epsilon", c.norm_eps},
      {"activation_function", "gelu_new"},
      {"tie_word_embeddings", true},
      {"bos_token_id", WordVocab::bos_id()},
      {"eos_token_id", 2},
      {"dataset", task.spec},
      {"training",
       {{"loss", "cross_entropy_answer_token"},
        {"optimizer", "adamw"},
        {"steps", config.steps},
        {"batch", config.batch},
        {"lr", config.lr},
        {"warmup", config.warmup},
        {"betas", {config.beta1, config.beta2}},
        {"weight_decay", config.weight_decay},
        {"seed", config.seed},
        {"train_seconds", result.train_seconds},
        {"final_accuracy", accuracy}}},
      {"glassbox_version", kVersion}};
  write_text_file(dir + "/config.json", cfg.dump(2) + "\n");
  write_text_file(dir + "/tokenizer.json", task.vocab.tokenizer_json().dump(2) + "\n");
  result.curves.write(dir + "/training.h5", PlotMeta{"train " + task.name, cfg["training"].dump(), dir});
  write_text_file(dir + "/TRAINED_WITH.txt", command + "\n");
}

}  // namespace glassbox::datasets
