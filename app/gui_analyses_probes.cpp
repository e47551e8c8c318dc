// The probes of probes/ as analyses: each maps its parameters to the probe's
// params struct and returns the probe's own to_plots().
#include <ATen/ATen.h>

#include "app/gui_analysis.h"
#include "app/gui_session.h"
#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/attention.h"
#include "probes/backpatch.h"
#include "probes/composition.h"
#include "probes/contributions.h"
#include "probes/head_svd.h"
#include "probes/importance.h"
#include "probes/logit_lens.h"
#include "probes/sparsity.h"

namespace glassbox::gui {

namespace {

bool is_transformer(const ModelSummary& m) { return m.transformer; }

int last_index(int n) { return std::max(n - 1, 0); }

// A target token typed as text (one token, e.g. " Paris") or, for a model
// without a tokenizer, as an id; none when empty.
std::optional<int64_t> target_token(const Model& model, const std::string& text, const std::string& analysis) {
  if (text.empty()) return std::nullopt;
  const Tokenizer* tokenizer = model.tokenizer();
  const std::vector<int64_t> ids =
      tokenizer ? tokenizer->encode(text, false) : parse_token_ids(text, model.info().d_vocab);
  if (ids.size() != 1)
    fail(analysis, "the target '" + text + "' is " + std::to_string(ids.size()) +
                       " tokens; give exactly one (mind the leading space)");
  return ids.front();
}

// "Paris, paris" -> {"Paris", "paris"}
std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

ParamSpec layer_param(const ModelSummary& m) { return ParamSpec::integer("layer", "Layer", 0, 0, last_index(m.n_layers)); }
ParamSpec head_param(const ModelSummary& m) { return ParamSpec::integer("head", "Head", 0, 0, last_index(m.n_heads)); }

Analysis logit_lens() {
  Analysis a;
  a.id = "logit_lens";
  a.name = "Logit lens";
  a.description = "Each layer's residual stream read through the final norm and unembedding: KL to the final "
                  "distribution, top tokens, and a target token's probability.";
  a.live = true;
  a.applies = is_transformer;
  a.params = [](const ModelSummary&) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("top_k", "Top k", 5, 1, 20),
        ParamSpec::line("target", "Target token", "", "One token whose probability is tracked (optional)."),
        ParamSpec::boolean("include_embed", "Include embedding", true),
    };
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::LogitLensParams p;
    p.tokens = request.prompt.ids;
    p.top_k = request.params.integer("top_k");
    p.target = target_token(model, request.params.text("target"), "logit lens");
    p.include_embed = request.params.flag("include_embed");
    return probes::to_plots(probes::logit_lens(model, p, progress));
  };
  return a;
}

Analysis contributions() {
  Analysis a;
  a.id = "contributions";
  a.name = "Layer contributions";
  a.description = "How much each attention, MLP and whole layer changes the residual stream (norm ratios, "
                  "cosines), and what skipping a layer does to later layers and the output.";
  a.applies = is_transformer;
  a.params = [](const ModelSummary&) {
    return std::vector<ParamSpec>{ParamSpec::boolean("skip_layers", "Skip-layer effect", true,
                                                     "One partial forward pass per layer.")};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::ContributionsParams p;
    p.tokens = request.prompt.ids;
    p.skip_layers = request.params.flag("skip_layers");
    return probes::to_plots(probes::contributions(model, p, progress));
  };
  return a;
}

Analysis attention_heads() {
  Analysis a;
  a.id = "attention_heads";
  a.name = "Attention heads";
  a.description = "Patterns of every head, and previous-token, duplicate-token and induction scores measured on a "
                  "repeated random sequence.";
  a.applies = is_transformer;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("induction_seq_len", "Random half-length", 20, 0,
                           static_cast<int>(std::max<int64_t>(m.n_ctx / 2 - 1, 0)),
                           "Length of the random sequence that is repeated to score heads; 0: no scores."),
        ParamSpec::integer("seed", "Seed", 0, 0, 1000000),
    };
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::AttentionParams p;
    p.tokens = request.prompt.ids;
    p.induction_seq_len = request.params.integer("induction_seq_len");
    p.seed = static_cast<uint64_t>(request.params.integer("seed"));
    // The random sequence starts like the prompt: with BOS when the template added one.
    if (!request.prompt.special.empty() && request.prompt.special.front()) p.bos = request.prompt.ids.front();
    return probes::to_plots(probes::attention(model, p, progress));
  };
  return a;
}

Analysis backpatch() {
  Analysis a;
  a.id = "backpatch";
  a.name = "Back-patching";
  a.description = "Patch block ℓ1's output at a position back into block ℓ2 < ℓ1 and measure the target at the last "
                  "position (Biran et al., \"Hopping Too Late\").";
  a.applies = is_transformer;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("position", "Position", -1, -1, static_cast<int>(std::max<int64_t>(m.n_ctx, 1)) - 1,
                           "Patched position; -1 is the last token (click a chip)."),
        ParamSpec::line("target", "Target token", "",
                        "One token read at the last position; empty: the model's own top prediction."),
        ParamSpec::integer("generate", "Generate tokens", 0, 0, 64, "Greedy tokens per cell; 0: none."),
        ParamSpec::line("answers", "Accepted answers", "", "Comma-separated; a generation is correct if it "
                                                           "contains one (case-insensitive)."),
    };
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::BackpatchParams p;
    p.tokens = request.prompt.ids;
    p.position = request.params.integer("position");
    const auto target = target_token(model, request.params.text("target"), "back-patching");
    p.target = target ? *target : model.run(p.tokens).logits[-1].argmax().item<int64_t>();
    p.generate = request.params.integer("generate");
    p.answers = comma_list(request.params.text("answers"));
    return probes::to_plots(probes::backpatch(model, p, progress));
  };
  return a;
}

Analysis head_svd() {
  Analysis a;
  a.id = "head_svd";
  a.name = "Head SVD";
  a.description = "Singular values of a head's OV and QK circuits, and their top singular directions read as "
                  "tokens through the unembedding and embedding.";
  a.live = true;
  a.needs_prompt = false;
  a.applies = is_transformer;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{layer_param(m), head_param(m),
                                  ParamSpec::integer("directions", "Directions", 8, 1, std::max(m.d_head, 1)),
                                  ParamSpec::integer("top_k", "Tokens per direction", 10, 1, 50)};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::HeadSvdParams p;
    p.head = {request.params.integer("layer"), request.params.integer("head")};
    p.directions = request.params.integer("directions");
    p.top_k = request.params.integer("top_k");
    return probes::to_plots(probes::head_svd(model, p, progress));
  };
  return a;
}

Analysis composition() {
  Analysis a;
  a.id = "composition";
  a.name = "Composition";
  a.description = "Q-, K- and V-composition scores of every earlier head into every later head (Elhage et al.), "
                  "and optionally one sender's component-wise scores.";
  a.needs_prompt = false;
  a.applies = is_transformer;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{ParamSpec::boolean("with_sender", "Sender components", false), layer_param(m),
                                  head_param(m)};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::CompositionParams p;
    if (request.params.flag("with_sender")) p.sender = probes::HeadRef{request.params.integer("layer"),
                                                                       request.params.integer("head")};
    return probes::to_plots(probes::composition(model, p, progress));
  };
  return a;
}

Analysis importance() {
  Analysis a;
  a.id = "importance";
  a.name = "Module importance";
  a.description = "S = 1 − cos(X, X + f(LN(X))) for each attention, MLP and block, per token (He et al.).";
  a.live = true;
  a.applies = is_transformer;
  a.params = [](const ModelSummary&) { return std::vector<ParamSpec>{}; };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::ImportanceParams p;
    p.tokens = request.prompt.ids;
    return probes::to_plots(probes::importance(model, p, progress));
  };
  return a;
}

Analysis sparsity() {
  Analysis a;
  a.id = "sparsity";
  a.name = "MLP sparsity";
  a.description = "Fraction of MLP hidden units with |activation| > ε, per layer and token.";
  a.live = true;
  a.applies = is_transformer;
  a.params = [](const ModelSummary&) {
    return std::vector<ParamSpec>{ParamSpec::real("epsilon", "ε", 0.01, 0.0, 10.0)};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    probes::SparsityParams p;
    p.tokens = request.prompt.ids;
    p.epsilon = request.params.number("epsilon");
    return probes::to_plots(probes::sparsity(model, p, progress));
  };
  return a;
}

}  // namespace

std::vector<Analysis> probe_analyses() {
  return {logit_lens(), contributions(), attention_heads(), backpatch(), head_svd(), composition(), importance(),
          sparsity()};
}

}  // namespace glassbox::gui
