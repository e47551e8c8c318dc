#pragma once
// A synthetic two-hop knowledge task (after Biran et al., "Hopping Too Late"):
// random entities and relations, each relation a random map from entities to
// entities. One-hop facts "the r of e is" -> r(e) are all trained; two-hop
// queries "the r2 of the r1 of e is" -> r2(r1(e)) are split into trained and
// held-out compositions. Prompts use the paper's templates ("the r of {}").
#include <cstdint>
#include <string>

#include "datasets/prompt_task.h"

namespace glassbox::datasets {

struct TwoHopSpec {
  int64_t entities = 40;
  int64_t relations = 5;
  double heldout = 0.1;  // fraction of two-hop queries never trained on
  uint64_t seed = 0;

  void validate(const std::string& where) const;  // throws Error
};

nlohmann::json to_json(const TwoHopSpec& spec);
// From a model folder's config.json "dataset"; Error naming `file` otherwise.
TwoHopSpec two_hop_spec_from_json(const nlohmann::json& dataset, const std::string& file);

// Sets: one_hop (train), two_hop_train (train), two_hop_heldout (measured only).
PromptTask make_two_hop(const TwoHopSpec& spec);

// The two-hop queries of `set` in the CSV layout of Biran et al. that the
// back-patching probe reads (datasets/two_hop_csv.h).
std::string two_hop_csv(const PromptTask& task, const std::string& set);

}  // namespace glassbox::datasets
