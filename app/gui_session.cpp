#include "app/gui_session.h"

#include <ATen/ATen.h>

#include <sstream>

#include "core/error.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "core/transformer.h"
#include "probes/common.h"

namespace glassbox::gui {

std::vector<int64_t> parse_token_ids(const std::string& text, int64_t vocab_size) {
  std::vector<int64_t> ids;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    // Commas separate ids as well as spaces.
    std::istringstream parts(item);
    std::string part;
    while (std::getline(parts, part, ',')) {
      if (part.empty()) continue;
      size_t used = 0;
      int64_t id = -1;
      try {
        id = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != part.size())
        fail("prompt", "'" + part + "' is not a token id; this model has no tokenizer, so type ids such as 1, 2, 3");
      if (id < 0 || id >= vocab_size)
        fail("prompt", "token id " + part + " is outside the vocabulary (0.." + std::to_string(vocab_size - 1) + ")");
      ids.push_back(id);
    }
  }
  return ids;
}

LoadedModel load_model_for_gui(const std::string& dir, const std::string& device, const std::string& dtype) {
  LoadOptions options;
  options.device = device;
  options.dtype = dtype;
  std::shared_ptr<const Model> model = load_model(dir, options);
  const ModelInfo& info = model->info();
  ModelSummary s;
  s.dir = dir;
  s.family = info.family;
  s.model_type = info.model_type;
  s.norm = info.norm;
  s.act = info.act;
  s.positional = info.positional;
  s.weights_dtype = info.weights_dtype;
  s.device = device;
  s.dtype = dtype;
  s.n_layers = info.n_layers;
  s.n_heads = info.n_heads;
  s.n_kv_heads = info.n_kv_heads;
  s.d_model = info.d_model;
  s.d_head = info.d_head;
  s.d_mlp = info.d_mlp;
  s.rotary_dim = info.rotary_dim;
  s.d_vocab = info.d_vocab;
  s.n_ctx = info.n_ctx;
  s.n_params = info.n_params;
  s.parallel_residual = info.parallel_residual;
  s.gated_mlp = info.gated_mlp;
  s.tied_embeddings = info.tied_embeddings;
  s.transformer = dynamic_cast<const Transformer*>(model.get()) != nullptr;
  s.has_tokenizer = model->tokenizer() != nullptr;
  s.hook_names = info.hook_names;
  return {std::move(model), std::move(s)};
}

Prompt tokenize_prompt(const Model& model, const std::string& text, bool add_special_tokens) {
  Prompt p;
  p.text = text;
  const Tokenizer* tokenizer = model.tokenizer();
  if (tokenizer) {
    p.ids = tokenizer->encode(text, add_special_tokens);
  } else {
    p.ids = parse_token_ids(text, model.info().d_vocab);
  }
  p.strings = model.token_strings(p.ids);
  const auto bos = tokenizer ? tokenizer->bos_id() : std::nullopt;
  const auto eos = tokenizer ? tokenizer->eos_id() : std::nullopt;
  for (int64_t id : p.ids) p.special.push_back(add_special_tokens && (id == bos || id == eos));
  for (const std::string& s : p.strings) p.labels.push_back(probes::visible_token(s));
  return p;
}

bool cuda_available() { return at::hasCUDA(); }

}  // namespace glassbox::gui
