#include "probes/edits.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <map>
#include <set>

#include "core/error.h"

namespace glassbox::probes {

namespace {

// The units an ablation replaces, per hook name ("blocks.3.attn.hook_z" → heads), checked against the model.
std::map<std::string, std::vector<int64_t>> ablation_targets(const ModelInfo& info, const EditSpec& spec,
                                                             const std::string& where) {
  std::map<std::string, std::set<int64_t>> sets;
  auto check = [&](const char* what, int layer, int64_t index, int64_t count) {
    const std::string name = std::string(what) + " " + std::to_string(layer) + ":" + std::to_string(index);
    if (layer < 0 || layer >= info.n_layers)
      fail(where, name + ": layer outside [0, " + std::to_string(info.n_layers) + ")");
    if (index < 0 || index >= count) fail(where, name + ": " + what + " outside [0, " + std::to_string(count) + ")");
  };
  for (const NeuronRef& n : spec.neurons) {
    check("neuron", n.layer, n.neuron, info.d_mlp);
    sets[hook_name(Hook::mlp_post, n.layer)].insert(n.neuron);
  }
  for (const HeadRef& h : spec.heads) {
    check("head", h.layer, h.head, info.n_heads);
    sets[hook_name(Hook::z, h.layer)].insert(h.head);
  }
  std::map<std::string, std::vector<int64_t>> targets;
  for (const auto& [hook, indices] : sets) targets[hook] = std::vector<int64_t>(indices.begin(), indices.end());
  return targets;
}

NameFilter capture_of(const std::map<std::string, std::vector<int64_t>>& targets) {
  std::string pattern;
  for (const auto& entry : targets) {
    if (!pattern.empty()) pattern += "|";
    for (char c : entry.first) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
  }
  return NameFilter(pattern);
}

// Mean activation of each hook over every position of the prompts: [d_mlp] or [H, d_head].
std::map<std::string, at::Tensor> mean_activations(const Model& model, const std::vector<std::vector<int64_t>>& prompts,
                                                   const std::map<std::string, std::vector<int64_t>>& targets,
                                                   const Progress& progress) {
  RunOptions options;
  options.capture = capture_of(targets);
  std::map<std::string, at::Tensor> sums;
  int64_t positions = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    progress.check();
    RunResult run = model.run(prompts[i], options);
    for (const auto& entry : targets) {
      at::Tensor sum = run.cache.get(entry.first).to(at::kFloat).sum(0);
      sums[entry.first] = sums.count(entry.first) ? sums[entry.first] + sum : sum;
    }
    positions += static_cast<int64_t>(prompts[i].size());
    progress.update(double(i + 1) / prompts.size(), "mean activations");
  }
  for (auto& entry : sums) entry.second = entry.second / static_cast<double>(positions);
  return sums;
}

// The steering vector's hook must carry the residual stream (or a write into it).
void check_steering(const ModelInfo& info, const EditSpec& spec, const std::string& where) {
  Hook h;
  int layer = 0;
  if (!parse_hook_name(spec.hook, &h, &layer)) fail(where, "'" + spec.hook + "' is not a hook name");
  const bool residual = h == Hook::resid_pre || h == Hook::resid_mid || h == Hook::resid_post ||
                        h == Hook::attn_out || h == Hook::mlp_out || h == Hook::embed;
  if (!residual) fail(where, spec.hook + " is not a residual-stream hook (resid_pre/mid/post, attn_out, mlp_out, embed)");
  if (hook_is_per_layer(h) && (layer < 0 || layer >= info.n_layers))
    fail(where, spec.hook + ": layer outside the model's " + std::to_string(info.n_layers) + " layers");
  if (static_cast<int64_t>(spec.vector.size()) != info.d_model)
    fail(where, "the steering vector has " + std::to_string(spec.vector.size()) + " values and the model's residual stream " +
                    std::to_string(info.d_model));
}

}  // namespace

std::vector<Edit> resolve_edits(const Model& model, const std::vector<EditSpec>& specs, const Progress& progress) {
  c10::InferenceMode inference;
  const ModelInfo& info = model.info();
  std::vector<Edit> edits;
  for (size_t i = 0; i < specs.size(); ++i) {
    const EditSpec& spec = specs[i];
    if (!spec.enabled) continue;
    const std::string where = "edit " + std::to_string(i + 1) + " (" + spec.label() + ")";
    progress.check();
    if (spec.kind == EditSpec::Kind::steer) {
      check_steering(info, spec, where);
      at::Tensor v = at::tensor(spec.vector, at::kFloat).to(model.device()) * spec.coefficient;
      edits.push_back(Edit::add(spec.hook, spec.positions, v));
      continue;
    }
    const auto targets = ablation_targets(info, spec, where);
    for (const auto& prompt : spec.source_tokens) {
      if (prompt.empty()) fail(where, "a source prompt has no tokens");
      for (int64_t id : prompt)
        if (id < 0 || id >= info.d_vocab) fail(where, "source token " + std::to_string(id) + " is outside the vocabulary");
    }
    if (spec.kind == EditSpec::Kind::zero) {
      for (const auto& [hook, indices] : targets) edits.push_back(Edit::zero(hook, {}, indices));
    } else if (spec.kind == EditSpec::Kind::mean) {
      if (spec.source_tokens.empty()) fail(where, "a mean ablation needs prompts to average over");
      const auto means = mean_activations(model, spec.source_tokens, targets, progress);
      for (const auto& [hook, indices] : targets) {
        const at::Tensor index = at::tensor(indices, at::kLong).to(means.at(hook).device());
        edits.push_back(Edit::replace(hook, {}, means.at(hook).index_select(0, index), indices));
      }
    } else {
      if (spec.source_tokens.size() != 1) fail(where, "a resample ablation takes its activations from one prompt");
      RunOptions options;
      options.capture = capture_of(targets);
      const RunResult source = model.run(spec.source_tokens.front(), options);
      // One edit per position, so that incremental decoding (a KV cache) edits each position once.
      for (const auto& [hook, indices] : targets) {
        const at::Tensor act = source.cache.get(hook);
        const at::Tensor index = at::tensor(indices, at::kLong).to(act.device());
        for (int64_t p = 0; p < act.size(0); ++p)
          edits.push_back(Edit::replace(hook, {p}, act[p].index_select(0, index).unsqueeze(0), indices));
      }
    }
  }
  return edits;
}

AnalysisOutput run_with_edits(const Analysis& analysis, const Model& model, const AnalysisInputs& inputs,
                              const ParamValues& values, const std::vector<Edit>& edits, const Progress& progress) {
  ActiveEdits active(edits);
  CancelScope cancel(progress);
  NumericalWatch watch;
  AnalysisOutput output = analysis.run(model, inputs, values, progress);
  output.numerical_fault = watch.fault();
  return output;
}

RowResults dataset_rows_with_edits(const Analysis& analysis, const Model& model, const AnalysisInputs& inputs,
                                   const ParamValues& values, const std::vector<Edit>& edits, const Progress& progress) {
  ActiveEdits active(edits);
  return analysis.dataset_rows(model, inputs, values, progress);
}

}  // namespace glassbox::probes
