#include "datasets/modular.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "datasets/rng.h"

namespace glassbox::datasets {

namespace {

// The largest modulus whose p² pairs still make a sensible full-batch dataset.
constexpr int64_t kMaxModulus = 2048;

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

const char* modular_op_name(ModularOp op) {
  switch (op) {
    case ModularOp::add: return "add";
    case ModularOp::sub: return "sub";
    case ModularOp::mul: return "mul";
  }
  return "?";
}

ModularOp parse_modular_op(const std::string& name, const std::string& where) {
  if (name == "add" || name == "+") return ModularOp::add;
  if (name == "sub" || name == "-") return ModularOp::sub;
  if (name == "mul" || name == "*" || name == "x") return ModularOp::mul;
  fail(where, "unknown operation '" + name + "' (expected add, sub or mul)");
}

int64_t apply_modular_op(ModularOp op, int64_t a, int64_t b, int64_t p) {
  switch (op) {
    case ModularOp::add: return (a + b) % p;
    case ModularOp::sub: return ((a - b) % p + p) % p;
    case ModularOp::mul: return (a * b) % p;
  }
  return 0;
}

void ModularSpec::validate(const std::string& where) const {
  if (p < 2 || p > kMaxModulus) {
    fail(where, "modulus p must be in [2, " + std::to_string(kMaxModulus) + "], got " + std::to_string(p));
  }
  if (!(train_frac > 0.0 && train_frac <= 1.0)) {
    fail(where, "train fraction must be in (0, 1], got " + number(train_frac));
  }
  if (!(corrupt >= 0.0 && corrupt <= 1.0)) fail(where, "corrupted fraction must be in [0, 1], got " + number(corrupt));
  if (n_train() < 1) fail(where, "train fraction " + number(train_frac) + " leaves no training pairs");
}

int64_t ModularSpec::n_train() const { return static_cast<int64_t>(std::floor(train_frac * double(p * p))); }

int64_t ModularSpec::n_corrupted() const { return static_cast<int64_t>(std::floor(corrupt * double(n_train()))); }

nlohmann::json to_json(const ModularSpec& spec) {
  return {{"task", "modular"},        {"p", spec.p},          {"op", modular_op_name(spec.op)},
          {"train_frac", spec.train_frac}, {"corrupt", spec.corrupt}, {"seed", spec.seed}};
}

ModularSpec modular_spec_from_json(const nlohmann::json& dataset, const std::string& file) {
  if (!dataset.is_object()) fail(file, "\"dataset\" must be an object");
  if (json_string(dataset, "task", file) != "modular") {
    fail(file, "dataset task is '" + json_string(dataset, "task", file) + "', not 'modular'");
  }
  ModularSpec spec;
  spec.p = json_int(dataset, "p", file);
  spec.op = parse_modular_op(json_string(dataset, "op", file), file);
  spec.train_frac = json_number(dataset, "train_frac", file);
  spec.corrupt = json_number(dataset, "corrupt", file);
  int64_t seed = json_int(dataset, "seed", file);
  if (seed < 0) fail(file, "dataset seed must not be negative");
  spec.seed = static_cast<uint64_t>(seed);
  spec.validate(file);
  return spec;
}

ModularSpec modular_spec_from_model_dir(const std::string& dir) {
  std::string path = dir + "/config.json";
  nlohmann::json config = read_json_file(path);
  if (!config.contains("dataset")) fail(path, "no \"dataset\" entry: not a model trained by glassbox-cli train modular");
  return modular_spec_from_json(config["dataset"], path);
}

ModularData make_modular(const ModularSpec& spec) {
  spec.validate("modular dataset");
  const int64_t p = spec.p, n = p * p;
  at::Tensor pairs = at::empty({n, 2}, at::kLong);
  at::Tensor true_labels = at::empty({n}, at::kLong);
  auto pair = pairs.accessor<int64_t, 2>();
  auto truth = true_labels.accessor<int64_t, 1>();
  for (int64_t a = 0; a < p; ++a) {
    for (int64_t b = 0; b < p; ++b) {
      pair[a * p + b][0] = a;
      pair[a * p + b][1] = b;
      truth[a * p + b] = apply_modular_op(spec.op, a, b, p);
    }
  }
  Rng rng(spec.seed);
  std::vector<int64_t> order = rng.permutation(n);
  at::Tensor labels = true_labels.clone();
  at::Tensor train = at::zeros({n}, at::kBool);
  at::Tensor corrupted = at::zeros({n}, at::kBool);
  auto label = labels.accessor<int64_t, 1>();
  auto in_train = train.accessor<bool, 1>();
  auto is_corrupted = corrupted.accessor<bool, 1>();
  const int64_t n_train = spec.n_train(), n_corrupted = spec.n_corrupted();
  for (int64_t i = 0; i < n_train; ++i) {
    int64_t row = order[static_cast<size_t>(i)];
    in_train[row] = true;
    if (i < n_corrupted) {
      is_corrupted[row] = true;
      label[row] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(p)));
    }
  }
  return {spec, pairs, true_labels, labels, train, corrupted};
}

}  // namespace glassbox::datasets
