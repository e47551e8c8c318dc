// Word vocabulary (tokenizer.json), the two-hop and laundry-list tasks, and the
// toy-transformer trainer's saved folder.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/h5.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "datasets/laundry_list.h"
#include "datasets/train_transformer.h"
#include "datasets/training_curves.h"
#include "datasets/two_hop.h"
#include "datasets/two_hop_csv.h"
#include "test_util.h"

using namespace glassbox;
using namespace glassbox::datasets;

TEST(WordVocab, TokenizerJsonGivesOneTokenPerWord) {
  WordVocab vocab;
  std::vector<int64_t> ids;
  for (const char* w : {"the", "mother", "of", "moth", "Kalo", "is", "théâtre"}) ids.push_back(vocab.add(w));
  EXPECT_EQ(vocab.add("mother"), ids[1]);
  test::TempDir dir;
  write_text_file(dir.file("tokenizer.json"), vocab.tokenizer_json().dump());
  auto tokenizer = Tokenizer::from_tokenizer_json(dir.file("tokenizer.json"));
  EXPECT_EQ(tokenizer->vocab_size(), vocab.size());
  EXPECT_EQ(tokenizer->encode("the mother of Kalo is", true),
            (std::vector<int64_t>{WordVocab::bos_id(), ids[0], ids[1], ids[2], ids[4], ids[5]}));
  EXPECT_EQ(tokenizer->encode("moth théâtre"), (std::vector<int64_t>{ids[3], ids[6]}));
  EXPECT_EQ(tokenizer->decode({ids[0], ids[1]}), "the mother");
  EXPECT_THROW(vocab.id("father"), Error);
}

TEST(TwoHop, FactsComposeAndHeldOutQueriesAreSeparate) {
  TwoHopSpec spec;
  spec.entities = 12;
  spec.relations = 3;
  spec.heldout = 0.25;
  PromptTask task = make_two_hop(spec);
  const PromptSet& one = task.set("one_hop");
  const PromptSet& train = task.set("two_hop_train");
  const PromptSet& heldout = task.set("two_hop_heldout");
  EXPECT_EQ(one.tokens.size(0), 36);
  EXPECT_EQ(heldout.tokens.size(0), 27);  // ⌊0.25 · 108⌋
  EXPECT_EQ(train.tokens.size(0) + heldout.tokens.size(0), 108);
  EXPECT_EQ(one.tokens.size(1), 6);    // <s> the r of e is
  EXPECT_EQ(train.tokens.size(1), 9);  // <s> the r2 of the r1 of e is
  EXPECT_TRUE(one.train && train.train && !heldout.train);

  std::map<std::string, std::string> facts;  // "r e" -> answer
  for (size_t i = 0; i < one.prompts.size(); ++i) {
    std::istringstream w(one.prompts[i]);
    std::string the, r, of, e;
    w >> the >> r >> of >> e;
    facts[r + " " + e] = one.answers[i];
  }
  for (const PromptSet* set : {&train, &heldout}) {
    for (size_t i = 0; i < set->prompts.size(); ++i) {
      std::istringstream w(set->prompts[i]);
      std::string the, r2, of, the2, r1, of2, e;
      w >> the >> r2 >> of >> the2 >> r1 >> of2 >> e;
      EXPECT_EQ(set->answers[i], facts.at(r2 + " " + facts.at(r1 + " " + e))) << set->prompts[i];
    }
  }
  // The same spec gives the same task.
  EXPECT_TRUE(make_two_hop(spec).set("two_hop_heldout").tokens.equal(heldout.tokens));

  // The CSV the back-patching probe reads: prompt and answers as generated.
  test::TempDir dir;
  write_text_file(dir.file("heldout.csv"), two_hop_csv(task, "two_hop_heldout"));
  std::vector<TwoHopQuery> queries = load_two_hop_csv(dir.file("heldout.csv"));
  ASSERT_EQ(queries.size(), heldout.prompts.size());
  EXPECT_EQ(queries[0].prompt, heldout.prompts[0]);
  EXPECT_EQ(queries[0].e3_label, heldout.answers[0]);

  spec.relations = 100;
  EXPECT_THROW(make_two_hop(spec), Error);
}

TEST(LaundryList, TheAnswerIsTheMissingItem) {
  LaundryListSpec spec;
  spec.items = 8;
  spec.length = 4;
  spec.train_examples = 50;
  spec.test_examples = 10;
  PromptTask task = make_laundry_list(spec);
  const PromptSet& train = task.set("train");
  EXPECT_EQ(train.tokens.sizes(), (at::IntArrayRef{50, 11}));  // <s> list 4 got 3 missing
  for (size_t i = 0; i < train.prompts.size(); ++i) {
    std::istringstream w(train.prompts[i]);
    std::vector<std::string> words;
    for (std::string s; w >> s;) words.push_back(s);
    std::vector<std::string> listed(words.begin() + 1, words.begin() + 5), got(words.begin() + 6, words.begin() + 9);
    std::vector<std::string> expected;
    for (const auto& item : listed) {
      if (item != train.answers[i]) expected.push_back(item);
    }
    EXPECT_EQ(got, expected) << train.prompts[i];
  }
  spec.length = 9;
  EXPECT_THROW(make_laundry_list(spec), Error);
}

// A few hundred steps on a tiny two-hop task: the saved folder loads through the
// GPT-2 loader with its tokenizer and reproduces the trainer's accuracies.
TEST(TransformerTrainer, SavedFolderLoadsAndMatches) {
  TwoHopSpec spec;
  spec.entities = 6;
  spec.relations = 2;
  spec.heldout = 0.2;
  PromptTask task = make_two_hop(spec);
  TransformerTrainConfig config;
  config.n_layers = 2;
  config.d_model = 32;
  config.d_mlp = 64;
  config.steps = 300;
  config.batch = 64;
  config.lr = 3e-3;
  config.log_every = 100;
  TransformerTrainResult result = train_transformer(task, config);
  EXPECT_GE(result.final_accuracy[0], 0.9) << "one-hop facts learned";

  test::TempDir dir;
  save_transformer_model(task, config, result, dir.path(), "test");
  auto model = load_model(dir.path());
  EXPECT_EQ(model->info().model_type, "glassbox_transformer");
  ASSERT_NE(model->tokenizer(), nullptr);
  std::vector<double> reloaded = prompt_accuracies(*model, task);
  for (size_t i = 0; i < reloaded.size(); ++i) EXPECT_NEAR(reloaded[i], result.final_accuracy[i], 1e-9);

  const PromptSet& one = task.set("one_hop");
  std::vector<int64_t> ids = model->tokenizer()->encode(one.prompts[0], true);
  std::vector<int64_t> expected(one.tokens[0].data_ptr<int64_t>(), one.tokens[0].data_ptr<int64_t>() + one.tokens.size(1));
  EXPECT_EQ(ids, expected);

  h5::Reader curves(dir.file("training.h5"));
  EXPECT_TRUE(curves.exists("/plots/loss/data"));
  EXPECT_EQ(curves.shape("/plots/accuracy/data"), (std::vector<int64_t>{3, 4}));  // steps 0, 100, 200, 300
}
