// backpatch: the KV-cached, batched grid against a naive full rerun per cell
// (Model::run with Edit::replace on blocks.ℓ2.hook_resid_post), greedy
// generation against naive re-decoding, answer judging, the data-set mode,
// progress/cancel and the CLI.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/h5.h"
#include "core/tokenizer.h"
#include "probes/backpatch.h"
#include "core/model_fixtures.h"

namespace glassbox::probes {
namespace {

namespace fs = std::filesystem;

const std::vector<int64_t> kTokens = {5, 300, 17, 42, 511, 8, 99, 250, 3};
constexpr int64_t kTarget = 17;

// The patched run of one cell, written from the definition: a full forward
// pass with block ℓ2's output at position p replaced by block ℓ1's clean output.
RunOptions patch_options(const Model& model, const std::vector<int64_t>& tokens, int64_t p, int l1, int l2) {
  RunOptions capture;
  capture.capture = NameFilter(hook_name(Hook::resid_post, l1));
  const at::Tensor source = model.run(tokens, capture).cache.get(hook_name(Hook::resid_post, l1))[p];
  RunOptions patched;
  patched.edits.push_back(Edit::replace(hook_name(Hook::resid_post, l2), {p}, source));
  return patched;
}

std::vector<int64_t> naive_greedy(const Model& model, std::vector<int64_t> tokens, const RunOptions& options, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(model.run(tokens, options).logits[-1].argmax().item<int64_t>());
    tokens.push_back(out.back());
  }
  return out;
}

TEST(Backpatch, FastGridEqualsNaiveFullRerun) {
  for (const std::string name : {"gpt2_b", "llama_gqa"}) {
    auto model = test::load_on_test_device(test::data("models/" + name));
    const int L = model->info().n_layers;
    const int64_t T = kTokens.size();
    for (const int64_t position : {int64_t(-1), int64_t(3), int64_t(0)}) {
      BackpatchParams params;
      params.tokens = kTokens;
      params.position = position;
      params.target = kTarget;
      const BackpatchResult r = backpatch(*model, params, Progress{});
      const int64_t p = position < 0 ? T + position : position;
      ASSERT_EQ(r.position, p);
      const at::Tensor clean = model->run(kTokens).logits[-1].cpu();
      EXPECT_NEAR(r.clean_prob, at::softmax(clean.to(at::kDouble), 0)[kTarget].item<double>(), 1e-6);
      for (int l1 = 0; l1 < L; ++l1) {
        for (int l2 = 0; l2 < L; ++l2) {
          const std::string cell = name + " p=" + std::to_string(p) + " l1=" + std::to_string(l1) + " l2=" + std::to_string(l2);
          if (l1 <= l2) {
            EXPECT_TRUE(std::isnan(r.target_prob[l1][l2].item<float>())) << cell;
            EXPECT_TRUE(std::isnan(r.target_rank[l1][l2].item<float>())) << cell;
            continue;
          }
          const at::Tensor logits = model->run(kTokens, patch_options(*model, kTokens, p, l1, l2)).logits[-1].cpu();
          const double prob = at::softmax(logits.to(at::kDouble), 0)[kTarget].item<double>();
          const double logit = logits[kTarget].item<double>();
          EXPECT_NEAR(r.target_prob[l1][l2].item<double>(), prob, 1e-5) << cell;
          EXPECT_NEAR(r.target_logit[l1][l2].item<double>(), logit, 1e-5 * std::max(1.0, std::abs(logit))) << cell;
          EXPECT_EQ(r.target_rank[l1][l2].item<double>(), (logits > logits[kTarget]).sum().item<double>()) << cell;
        }
      }
    }
  }
}

TEST(Backpatch, CachedGreedyGenerationEqualsNaiveDecoding) {
  for (const std::string name : {"gpt2_b", "llama_gqa"}) {
    auto model = test::load_on_test_device(test::data("models/" + name));
    const int L = model->info().n_layers;
    BackpatchParams params;
    params.tokens = kTokens;
    params.position = 4;
    params.generate = 5;
    params.decode_rows = name == "gpt2_b" ? 2 : 128;  // several decode batches, or one
    const BackpatchResult r = backpatch(*model, params, Progress{});
    EXPECT_EQ(r.clean_generated, naive_greedy(*model, kTokens, {}, 5)) << name;
    for (int l1 = 1; l1 < L; ++l1) {
      for (int l2 = 0; l2 < l1; ++l2) {
        const at::Tensor row = r.generated[l1][l2].contiguous();
        const std::vector<int64_t> got(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
        EXPECT_EQ(got, naive_greedy(*model, kTokens, patch_options(*model, kTokens, 4, l1, l2), 5))
            << name << " l1=" << l1 << " l2=" << l2;
        std::string text;
        for (const auto& s : model->token_strings(got)) text += s;
        EXPECT_EQ(r.generations[size_t(l1) * L + l2], text);
      }
    }
    EXPECT_EQ(r.generated[0][1][0].item<int64_t>(), -1);
  }
}

TEST(Backpatch, AnswersAreJudgedAsInThePaper) {
  EXPECT_TRUE(answer_in_generation(" Yoko Ono, the artist", {"John", "yoko ONO"}));
  EXPECT_TRUE(answer_in_generation("Yoko\nOno", {"yoko ono"}));
  EXPECT_FALSE(answer_in_generation(" Paris", {"London", ""}));
  EXPECT_FALSE(answer_in_generation("", {"x"}));
  EXPECT_EQ(span_end({1, 2, 3, 2, 3}, {2, 3}), 2);
  EXPECT_EQ(span_end({1, 2, 3}, {3, 4}), -1);
  EXPECT_EQ(span_end({1, 2, 3}, {}), -1);
}

// A copy of a reference model with a byte-level tokenizer whose ids fit its
// vocabulary of 512: the 256 bytes (no merges) and 256 unused two-byte tokens.
std::string model_with_byte_tokenizer(const test::TempDir& dir, const std::string& name) {
  const std::string folder = dir.file(name);
  fs::create_directory(folder);
  for (const auto& entry : fs::directory_iterator(test::data("models/" + name))) {
    fs::copy_file(entry.path(), fs::path(folder) / entry.path().filename());
  }
  // GPT-2's byte-to-unicode table.
  std::vector<uint32_t> code(256);
  uint32_t extra = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    code[b] = printable ? b : extra++;
  }
  auto utf8 = [](uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += char(cp);
    } else {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    }
    return s;
  };
  nlohmann::json vocab = nlohmann::json::object();
  for (uint32_t b = 0; b < 256; ++b) vocab[utf8(code[b])] = b;
  for (uint32_t i = 0; i < 256; ++i) vocab[utf8(code['a' + i / 16]) + utf8(code['a' + i % 16])] = 256 + i;
  std::ofstream(folder + "/vocab.json") << vocab.dump();
  std::ofstream(folder + "/merges.txt") << "#version: 0.2\n";
  return folder;
}

TEST(Backpatch, DatasetModeJudgesEveryCellLikeNaiveGeneration) {
  test::TempDir dir;
  auto model = test::load_on_test_device(model_with_byte_tokenizer(dir, "gpt2_b"));
  ASSERT_NE(model->tokenizer(), nullptr);
  const int L = model->info().n_layers;
  const int n = 3;
  const std::vector<int64_t> first = model->tokenizer()->encode("the y of the x of A is");
  const std::vector<int64_t> second = model->tokenizer()->encode("the x of B is");
  // Naive generations of the first query; its answer is cell (2, 0)'s text in upper case.
  auto naive_text = [&](const std::vector<int64_t>& tokens, int l1, int l2) {
    return model->tokenizer()->decode(naive_greedy(*model, tokens, patch_options(*model, tokens, -1 + int64_t(tokens.size()), l1, l2), n), true);
  };
  std::string answer = naive_text(first, 2, 0);
  ASSERT_FALSE(answer.empty());
  for (char& c : answer) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<BackpatchQuery> queries = {{"first", first, -1, {answer}}, {"second", second, -1, {"never-generated"}}};

  const BackpatchDatasetResult r = backpatch_dataset(*model, queries, n, Progress{});
  ASSERT_EQ(r.rows.size(), 2u);
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& tokens = queries[q].tokens;
    const std::string clean = model->tokenizer()->decode(naive_greedy(*model, tokens, {}, n), true);
    EXPECT_EQ(r.rows[q].clean_generation, clean);
    EXPECT_EQ(r.rows[q].originally_correct, answer_in_generation(clean, queries[q].answers));
    int successes = 0;
    for (int l1 = 1; l1 < L; ++l1) {
      for (int l2 = 0; l2 < l1; ++l2) successes += answer_in_generation(naive_text(tokens, l1, l2), queries[q].answers);
    }
    EXPECT_EQ(r.rows[q].successful_cells, successes) << queries[q].label;
    EXPECT_EQ(r.rows[q].cells, L * (L - 1) / 2);
  }
  EXPECT_TRUE(r.rows[0].fixed());
  EXPECT_FALSE(r.rows[1].fixed());
  const std::vector<Plot> plots = to_plots(r);
  ASSERT_EQ(plots.size(), 4u);
  EXPECT_EQ(plots[0].name, "backpatch_dataset_rows");
  EXPECT_EQ(plots[0].at(0, 1), 1.0f);
  EXPECT_EQ(plots[1].name, "backpatch_dataset_summary");
  EXPECT_EQ(plots[1].at(2, 0), 2.0f);  // all rows
  EXPECT_EQ(plots[1].at(2, 1), 1.0f);  // with a successful back-patch
}

TEST(Backpatch, RejectsBadInputAndCancels) {
  auto model = test::load_on_test_device(test::data("models/gpt2_a"));
  BackpatchParams params;
  params.tokens = kTokens;
  params.target = kTarget;
  params.position = 9;
  EXPECT_THROW(backpatch(*model, params, Progress{}), Error);
  params.position = -1;
  params.generate = 2;
  params.answers = {"x"};
  try {
    backpatch(*model, params, Progress{});
    FAIL() << "answers without a tokenizer";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer"), std::string::npos);
  }
  params.answers.clear();
  params.generate = 60;  // 9 + 60 - 1 positions exceed the context of 64
  EXPECT_THROW(backpatch(*model, params, Progress{}), Error);
  params.generate = 0;
  Progress cancel;
  cancel.cancelled = [] { return true; };
  EXPECT_THROW(backpatch(*model, params, cancel), Cancelled);
}

TEST(Backpatch, CliWritesTheGridsWithNaNBelowTheDiagonal) {
  test::TempDir dir;
  const std::string out = dir.file("bp.h5");
  const std::string model_dir = test::data("models/gpt2_b");
  const test::CliRun run = test::run_cli("probe backpatch --model " + model_dir +
                          " --tokens 5,300,17,42,511,8 --target 17 --position 2 --generate 2 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  h5::Reader file(out);
  auto model = test::load_on_test_device(model_dir);
  BackpatchParams params;
  params.tokens = {5, 300, 17, 42, 511, 8};
  params.target = 17;
  params.position = 2;
  const BackpatchResult expected = backpatch(*model, params, Progress{});
  bool seen_prob = false, seen_generations = false;
  for (const Plot& p : read_plots(file)) {
    if (p.name == "backpatch_target_prob") {
      seen_prob = true;
      ASSERT_EQ(p.shape, (std::vector<int64_t>{3, 3}));
      for (int l1 = 0; l1 < 3; ++l1) {
        for (int l2 = 0; l2 < 3; ++l2) {
          if (l1 <= l2) {
            EXPECT_TRUE(std::isnan(p.at(l1, l2)));
          } else {
            EXPECT_NEAR(p.at(l1, l2), expected.target_prob[l1][l2].item<float>(), 1e-7);
          }
        }
      }
    }
    if (p.name == "backpatch_generations") {
      seen_generations = true;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{4, 3}));  // the clean run and 3 cells
    }
  }
  EXPECT_TRUE(seen_prob && seen_generations);
  EXPECT_NE(read_plot_meta(file).params_json.find("\"position\":2"), std::string::npos);

  const test::CliRun bad = test::run_cli("probe backpatch --model " + model_dir +
                          " --tokens 5,300 --target 17 --position 7 --out " + out);
  EXPECT_NE(bad.status, 0);
}

TEST(Backpatch, CliRunsTheTwoHopSampleFile) {
  test::TempDir dir;
  const std::string model_dir = model_with_byte_tokenizer(dir, "llama_gqa");
  const std::string out = dir.file("ds.h5");
  const test::CliRun run = test::run_cli("probe backpatch-dataset --model " + model_dir + " --dataset " +
                          test::data("two_hop/sample.csv") + " --generate 3 --span-e1 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  h5::Reader file(out);
  bool seen_rows = false, seen_summary = false;
  for (const Plot& p : read_plots(file)) {
    if (p.name == "backpatch_dataset_rows") {
      seen_rows = true;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{5, 4}));
      EXPECT_EQ(p.y.labels[0], "row 1: the spouse of the performer of Imagine is");
    }
    if (p.name == "backpatch_dataset_summary") {
      seen_summary = true;
      EXPECT_EQ(p.at(2, 0), 5.0f);
      EXPECT_EQ(p.at(0, 0) + p.at(1, 0), 5.0f);
    }
  }
  EXPECT_TRUE(seen_rows && seen_summary);
}

}  // namespace
}  // namespace glassbox::probes
