#include "datasets/train_modular.h"

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

void ModularTrainConfig::validate(const std::string& where) const {
  data.validate(where);
  if (width < 1 || width > 65536) fail(where, "width must be in [1, 65536], got " + std::to_string(width));
  if (epochs < 1) fail(where, "epochs must be at least 1, got " + std::to_string(epochs));
  if (!(lr > 0)) fail(where, "learning rate must be positive");
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) fail(where, "Adam betas must be in [0, 1)");
  if (!(weight_decay >= 0)) fail(where, "weight decay must not be negative");
  if (!(dropout >= 0 && dropout < 1)) fail(where, "dropout must be in [0, 1)");
  if (!(init_scale > 0)) fail(where, "init scale must be positive");
  if (log_every < 0) fail(where, "log interval must not be negative");
}

std::vector<ModularSubset> modular_subsets(const ModularData& data) {
  auto rows = [](const at::Tensor& mask) { return at::nonzero(mask).squeeze(1); };
  at::Tensor test = data.train.logical_not();
  at::Tensor clean = data.train.logical_and(data.corrupted.logical_not());
  at::Tensor train_rows = rows(data.train), corrupted_rows = rows(data.corrupted), clean_rows = rows(clean),
             test_rows = rows(test);
  return {{"train", train_rows, data.labels.index_select(0, train_rows)},
          {"train_corrupted", corrupted_rows, data.labels.index_select(0, corrupted_rows)},
          {"train_clean", clean_rows, data.labels.index_select(0, clean_rows)},
          {"test", test_rows, data.true_labels.index_select(0, test_rows)}};
}

std::vector<double> subset_accuracies(const at::Tensor& logits, const std::vector<ModularSubset>& subsets) {
  at::Tensor predicted = logits.argmax(-1).cpu();
  std::vector<double> out;
  for (const ModularSubset& s : subsets) {
    // An empty subset (no corruption, or no test split) scores NaN: there is nothing to measure.
    out.push_back(s.rows.numel() == 0 ? std::nan("")
                                      : predicted.index_select(0, s.rows).eq(s.labels).to(at::kDouble).mean().item<double>());
  }
  return out;
}

ModularTrainResult train_modular(const ModularTrainConfig& config, const Progress& progress) {
  config.validate("train modular");
  const c10::Device device(config.device);
  const ModularData data = make_modular(config.data);
  const std::vector<ModularSubset> subsets = modular_subsets(data);
  const int64_t p = config.data.p, n = config.width;

  at::manual_seed(config.init_seed);
  const double sigma = config.init_scale / std::cbrt(2.0 * double(n));
  ToyMlpWeights w;
  w.p = p;
  w.W_in = at::normal(0.0, sigma, {2 * p, n}).to(device).set_requires_grad(true);
  w.W_out = at::normal(0.0, sigma, {n, p}).to(device).set_requires_grad(true);
  std::vector<at::Tensor> parameters = {w.W_in, w.W_out};
  if (config.batchnorm) {
    w.bn_weight = at::ones({n}, device).set_requires_grad(true);
    w.bn_bias = at::zeros({n}, device).set_requires_grad(true);
    w.bn_mean = at::zeros({n}, device);
    w.bn_var = at::ones({n}, device);
    parameters.push_back(w.bn_weight);
    parameters.push_back(w.bn_bias);
  }
  torch::optim::AdamW optimizer(parameters, torch::optim::AdamWOptions(config.lr)
                                                .betas({config.beta1, config.beta2})
                                                .weight_decay(config.weight_decay));

  const at::Tensor all_pairs = data.pairs.to(device);
  const at::Tensor train_rows = subsets[0].rows.to(device);
  const at::Tensor train_pairs = all_pairs.index_select(0, train_rows);
  const at::Tensor train_targets = at::one_hot(subsets[0].labels, p).to(device, at::kFloat);
  const at::Tensor test_rows = subsets[3].rows.to(device);
  const at::Tensor test_targets = at::one_hot(subsets[3].labels, p).to(device, at::kFloat);

  ToyMlpTrainMode train_mode;
  train_mode.training = true;
  train_mode.dropout = config.dropout;
  const int64_t log_every = config.log_every > 0 ? config.log_every : std::max<int64_t>(1, config.epochs / 200);

  ModularTrainResult result;
  auto evaluate = [&](int64_t epoch) {
    at::NoGradGuard no_grad;
    at::Tensor logits = toy_mlp_logits(w, all_pairs, nullptr);
    double train_loss = at::mse_loss(logits.index_select(0, train_rows), train_targets).item<double>();
    double test_loss = test_rows.numel() ? at::mse_loss(logits.index_select(0, test_rows), test_targets).item<double>()
                                         : std::nan("");
    result.final_accuracy = subset_accuracies(logits, subsets);
    result.curves.add(double(epoch), {train_loss, test_loss}, result.final_accuracy);
    std::ostringstream message;
    message << "epoch " << epoch << "/" << config.epochs << ": loss " << train_loss << ", train acc "
            << result.final_accuracy[0] << ", test acc " << result.final_accuracy[3];
    progress.update(double(epoch) / double(config.epochs), message.str());
  };

  evaluate(0);
  using Clock = std::chrono::steady_clock;
  for (int64_t epoch = 1; epoch <= config.epochs; ++epoch) {
    progress.check();
    auto start = Clock::now();
    optimizer.zero_grad();
    at::Tensor loss = at::mse_loss(toy_mlp_logits(w, train_pairs, nullptr, train_mode), train_targets);
    loss.backward();
    optimizer.step();
    if (device.is_cuda()) loss.item<double>();  // wait for the step, so the timing is honest
    result.train_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (epoch % log_every == 0 || epoch == config.epochs) evaluate(epoch);
  }

  auto to_cpu = [](const at::Tensor& t) { return t.defined() ? t.detach().to(at::kCPU).contiguous() : t; };
  result.weights = w;
  for (at::Tensor* t : {&result.weights.W_in, &result.weights.W_out, &result.weights.bn_weight,
                        &result.weights.bn_bias, &result.weights.bn_mean, &result.weights.bn_var}) {
    *t = to_cpu(*t);
  }
  return result;
}

namespace {

TensorToWrite f32(const std::string& name, const at::Tensor& t) {
  return {name, DType::F32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float)};
}

}  // namespace

void save_modular_model(const ModularTrainConfig& config, const ModularTrainResult& result, const std::string& dir,
                        const std::string& command) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create the model folder: " + ec.message());
  const ToyMlpWeights& w = result.weights;

  // W1 and W2 in the paper's [out, in] layout; the lookup layout is their transpose.
  at::Tensor W1 = w.W_in.t().contiguous(), W2 = w.W_out.t().contiguous();
  std::vector<TensorToWrite> tensors = {f32("W1", W1), f32("W2", W2)};
  if (w.batchnorm()) {
    tensors.push_back(f32("bn.weight", w.bn_weight));
    tensors.push_back(f32("bn.bias", w.bn_bias));
    tensors.push_back(f32("bn.running_mean", w.bn_mean));
    tensors.push_back(f32("bn.running_var", w.bn_var));
  }
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});

  const std::vector<double>& acc = result.final_accuracy;
  auto accuracy_json = [&](size_t i) { return std::isnan(acc[i]) ? nlohmann::json(nullptr) : nlohmann::json(acc[i]); };
  nlohmann::json cfg = {
      {"model_type", "glassbox_mlp"},
      {"p", w.p},
      {"width", w.width()},
      {"activation", "quadratic"},
      {"batchnorm", w.batchnorm()},
      {"bn_eps", w.bn_eps},
      {"dataset", to_json(config.data)},
      {"training",
       {{"loss", "mse_onehot"},
        {"optimizer", "adamw"},
        {"epochs", config.epochs},
        {"lr", config.lr},
        {"betas", {config.beta1, config.beta2}},
        {"weight_decay", config.weight_decay},
        {"dropout", config.dropout},
        {"init", "normal(0, (init_scale / (2 width)^(1/3))^2)"},
        {"init_scale", config.init_scale},
        {"init_seed", config.init_seed},
        {"train_seconds", result.train_seconds},
        {"final_accuracy",
         {{"train", accuracy_json(0)},
          {"train_corrupted", accuracy_json(1)},
          {"train_clean", accuracy_json(2)},
          {"test", accuracy_json(3)}}}}},
      {"glassbox_version", kVersion}};
  write_text_file(dir + "/config.json", cfg.dump(2) + "\n");
  result.curves.write(dir + "/training.h5", PlotMeta{"train modular", cfg["training"].dump(), dir});
  write_text_file(dir + "/TRAINED_WITH.txt", command + "\n");
}

}  // namespace glassbox::datasets
