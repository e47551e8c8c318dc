#include "datasets/two_hop.h"

#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "datasets/rng.h"

namespace glassbox::datasets {

namespace {

const char* const kRelations[] = {"mother", "father", "boss",  "friend", "teacher", "neighbor", "partner",
                                  "mentor", "rival",  "coach", "doctor", "sibling", "landlord", "author"};
constexpr int64_t kMaxRelations = sizeof(kRelations) / sizeof(kRelations[0]);
constexpr int64_t kMaxEntities = 1000;

// Distinct pronounceable names ("Kalo", "Venim", ...), fixed by the seed.
std::vector<std::string> entity_names(int64_t n, Rng& rng) {
  static const std::string consonants = "bdfgklmnprstvz", vowels = "aeiou";
  std::set<std::string> taken;
  std::vector<std::string> names;
  while (static_cast<int64_t>(names.size()) < n) {
    std::string name;
    int syllables = 2 + static_cast<int>(rng.below(2));
    for (int s = 0; s < syllables; ++s) {
      name += consonants[rng.below(consonants.size())];
      name += vowels[rng.below(vowels.size())];
    }
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
    if (taken.insert(name).second) names.push_back(name);
  }
  return names;
}

std::string one_hop_prompt(const std::string& r, const std::string& e) { return "the " + r + " of " + e + " is"; }
std::string two_hop_prompt(const std::string& r2, const std::string& r1, const std::string& e) {
  return "the " + r2 + " of the " + r1 + " of " + e + " is";
}

// A CSV field, quoted when it must be.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void TwoHopSpec::validate(const std::string& where) const {
  if (entities < 2 || entities > kMaxEntities) {
    fail(where, "entities must be in [2, " + std::to_string(kMaxEntities) + "], got " + std::to_string(entities));
  }
  if (relations < 1 || relations > kMaxRelations) {
    fail(where, "relations must be in [1, " + std::to_string(kMaxRelations) + "], got " + std::to_string(relations));
  }
  if (!(heldout >= 0 && heldout < 1)) fail(where, "held-out fraction must be in [0, 1)");
}

nlohmann::json to_json(const TwoHopSpec& spec) {
  return {{"task", "two_hop"}, {"entities", spec.entities}, {"relations", spec.relations},
          {"heldout", spec.heldout}, {"seed", spec.seed}};
}

TwoHopSpec two_hop_spec_from_json(const nlohmann::json& dataset, const std::string& file) {
  if (!dataset.is_object() || json_string(dataset, "task", file, "") != "two_hop") {
    fail(file, "\"dataset\" does not describe a two_hop task");
  }
  TwoHopSpec spec;
  spec.entities = json_int(dataset, "entities", file);
  spec.relations = json_int(dataset, "relations", file);
  spec.heldout = json_number(dataset, "heldout", file);
  const int64_t seed = json_int(dataset, "seed", file);
  if (seed < 0) fail(file, "dataset seed must not be negative");
  spec.seed = static_cast<uint64_t>(seed);
  spec.validate(file);
  return spec;
}

PromptTask make_two_hop(const TwoHopSpec& spec) {
  spec.validate("two-hop task");
  Rng rng(spec.seed);
  const std::vector<std::string> entities = entity_names(spec.entities, rng);
  const std::vector<std::string> relations(kRelations, kRelations + spec.relations);
  // fact[r][e] = r(e)
  std::vector<std::vector<int64_t>> fact(relations.size(), std::vector<int64_t>(entities.size()));
  for (auto& row : fact) {
    for (auto& target : row) target = static_cast<int64_t>(rng.below(entities.size()));
  }

  PromptTask task;
  task.name = "two_hop";
  task.spec = to_json(spec);
  for (const char* w : {"the", "of", "is"}) task.vocab.add(w);
  for (const auto& r : relations) task.vocab.add(r);
  for (const auto& e : entities) task.vocab.add(e);

  std::vector<std::string> prompts, answers;
  for (size_t r = 0; r < relations.size(); ++r) {
    for (size_t e = 0; e < entities.size(); ++e) {
      prompts.push_back(one_hop_prompt(relations[r], entities[e]));
      answers.push_back(entities[size_t(fact[r][e])]);
    }
  }
  task.sets.push_back(make_prompt_set("one_hop", true, task.vocab, prompts, answers));

  struct Query { size_t r2, r1, e; };
  std::vector<Query> queries;
  for (size_t r2 = 0; r2 < relations.size(); ++r2) {
    for (size_t r1 = 0; r1 < relations.size(); ++r1) {
      for (size_t e = 0; e < entities.size(); ++e) queries.push_back({r2, r1, e});
    }
  }
  rng.shuffle(queries);
  const size_t n_heldout = static_cast<size_t>(spec.heldout * double(queries.size()));
  std::vector<std::string> train_prompts, train_answers, heldout_prompts, heldout_answers;
  for (size_t i = 0; i < queries.size(); ++i) {
    const Query& q = queries[i];
    int64_t bridge = fact[q.r1][q.e];
    auto& p = i < n_heldout ? heldout_prompts : train_prompts;
    auto& a = i < n_heldout ? heldout_answers : train_answers;
    p.push_back(two_hop_prompt(relations[q.r2], relations[q.r1], entities[q.e]));
    a.push_back(entities[size_t(fact[q.r2][size_t(bridge)])]);
  }
  task.sets.push_back(make_prompt_set("two_hop_train", true, task.vocab, train_prompts, train_answers));
  if (n_heldout > 0) {
    task.sets.push_back(make_prompt_set("two_hop_heldout", false, task.vocab, heldout_prompts, heldout_answers));
  }
  return task;
}

std::string two_hop_csv(const PromptTask& task, const std::string& set_name) {
  const PromptSet& set = task.set(set_name);
  const PromptSet& one_hop = task.set("one_hop");
  std::map<std::string, std::string> one_hop_answer;
  for (size_t j = 0; j < one_hop.prompts.size(); ++j) one_hop_answer[one_hop.prompts[j]] = one_hop.answers[j];
  std::ostringstream csv;
  csv << "e1_label,r1_label,r2_label,e2_label,e3_label,e3_aliases,r1_template,r2_template,source_prompt\n";
  for (size_t i = 0; i < set.prompts.size(); ++i) {
    // "the r2 of the r1 of e is"
    std::istringstream words(set.prompts[i]);
    std::string the, r2, of, the2, r1, of2, e1;
    words >> the >> r2 >> of >> the2 >> r1 >> of2 >> e1;
    if (r1.empty() || e1.empty()) fail(set_name, "is not a set of two-hop queries");
    const std::string& bridge = one_hop_answer[one_hop_prompt(r1, e1)];
    csv << csv_field(e1) << "," << r1 << "," << r2 << "," << csv_field(bridge) << "," << csv_field(set.answers[i])
        << ",[]," << "the " << r1 << " of {},the " << r2 << " of {}," << csv_field(set.prompts[i]) << "\n";
  }
  return csv.str();
}

}  // namespace glassbox::datasets
