#include "probes/common.h"

#include <ATen/ATen.h>

#include <regex>

#include "core/error.h"
#include "core/tokenizer.h"

namespace glassbox::probes {

std::string exact_hook_regex(const std::string& hook_name) {
  return std::regex_replace(hook_name, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

const Transformer& as_transformer(const Model& model, const std::string& probe) {
  const auto* t = dynamic_cast<const Transformer*>(&model);
  if (!t) fail(probe, "needs a transformer; " + model.dir() + " is a " + model.info().family + " model");
  return *t;
}

Transformer& as_transformer(Model& model, const std::string& probe) {
  return const_cast<Transformer&>(as_transformer(static_cast<const Model&>(model), probe));
}

std::vector<float> to_floats(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU, at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

Plot make_plot(const std::string& kind, const std::string& name, const std::string& title, const at::Tensor& data,
               Axis x, Axis y, const std::string& x_label, const std::string& y_label,
               const std::string& value_label) {
  Plot p;
  p.kind = kind;
  p.name = name;
  p.title = title;
  p.shape = data.sizes().vec();
  p.data = to_floats(data);
  p.x = std::move(x);
  p.y = std::move(y);
  p.x_label = x_label;
  p.y_label = y_label;
  p.value_label = value_label;
  return p;
}

Progress sub_progress(const Progress& outer, double begin, double end) {
  Progress p;
  p.report = [&outer, begin, end](double f, const std::string& msg) { outer.update(begin + (end - begin) * f, msg); };
  p.cancelled = outer.cancelled;
  p.partial = outer.partial;
  return p;
}

std::vector<int64_t> prompt_tokens(const Model& model, const std::string& text, bool add_special_tokens,
                                   const std::string& where) {
  std::vector<int64_t> ids = model.tokenizer() ? model.tokenizer()->encode(text, add_special_tokens)
                                               : parse_token_ids(text, model.info().d_vocab, where);
  if (ids.empty()) fail(where, "no tokens");
  return ids;
}

Axis number_axis(int64_t n, int64_t first) {
  Axis a;
  for (int64_t i = 0; i < n; ++i) a.values.push_back(static_cast<double>(first + i));
  return a;
}

Axis label_axis(std::vector<std::string> labels) {
  Axis a;
  a.labels = std::move(labels);
  return a;
}

Axis head_axis(int n_layers, int n_heads) {
  Axis a;
  for (int l = 0; l < n_layers; ++l) {
    for (int h = 0; h < n_heads; ++h) a.labels.push_back("L" + std::to_string(l) + "H" + std::to_string(h));
  }
  return a;
}

Axis token_axis(const std::vector<std::string>& token_strings) {
  Axis a;
  a.labels = token_strings;
  for (size_t i = 0; i < token_strings.size(); ++i) a.positions.push_back(static_cast<int64_t>(i));
  return a;
}

}  // namespace glassbox::probes
