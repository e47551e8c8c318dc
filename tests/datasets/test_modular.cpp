// The modular-arithmetic dataset: split, corruption and reproducibility.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "datasets/modular.h"

using namespace glassbox;
using namespace glassbox::datasets;

namespace {

ModularSpec spec(int64_t p, double train_frac, double corrupt, uint64_t seed, ModularOp op = ModularOp::add) {
  ModularSpec s;
  s.p = p;
  s.train_frac = train_frac;
  s.corrupt = corrupt;
  s.seed = seed;
  s.op = op;
  return s;
}

}  // namespace

TEST(Modular, SplitAndCorruptionSizes) {
  ModularData d = make_modular(spec(97, 0.5, 0.35, 0));
  EXPECT_EQ(d.pairs.size(0), 97 * 97);
  EXPECT_EQ(d.train.sum().item<int64_t>(), 4704);              // ⌊0.5 · 9409⌋
  EXPECT_EQ(d.corrupted.sum().item<int64_t>(), 1646);          // ⌊0.35 · 4704⌋
  EXPECT_TRUE(d.corrupted.logical_and(d.train.logical_not()).sum().item<int64_t>() == 0);
  // Outside the corrupted rows the labels are the true ones.
  at::Tensor clean = d.corrupted.logical_not();
  EXPECT_TRUE(d.labels.masked_select(clean).equal(d.true_labels.masked_select(clean)));
  // Replacements are uniform over p classes: about 1/p of them equal the truth.
  double unchanged = d.labels.masked_select(d.corrupted).eq(d.true_labels.masked_select(d.corrupted))
                         .to(at::kDouble).mean().item<double>();
  EXPECT_LT(unchanged, 0.04);
  EXPECT_GE(d.labels.min().item<int64_t>(), 0);
  EXPECT_LT(d.labels.max().item<int64_t>(), 97);
}

TEST(Modular, LabelsFollowTheOperation) {
  for (ModularOp op : {ModularOp::add, ModularOp::sub, ModularOp::mul}) {
    ModularData d = make_modular(spec(11, 0.3, 0.0, 1, op));
    auto pairs = d.pairs.accessor<int64_t, 2>();
    auto truth = d.true_labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < d.pairs.size(0); ++i) {
      int64_t a = pairs[i][0], b = pairs[i][1];
      int64_t expected = op == ModularOp::add ? (a + b) % 11 : op == ModularOp::sub ? (a - b + 11) % 11 : (a * b) % 11;
      ASSERT_EQ(truth[i], expected) << modular_op_name(op) << " " << a << " " << b;
    }
  }
}

TEST(Modular, SameSeedSameData) {
  ModularData a = make_modular(spec(31, 0.5, 0.2, 7)), b = make_modular(spec(31, 0.5, 0.2, 7));
  EXPECT_TRUE(a.train.equal(b.train));
  EXPECT_TRUE(a.labels.equal(b.labels));
  ModularData c = make_modular(spec(31, 0.5, 0.2, 8));
  EXPECT_FALSE(a.train.equal(c.train));
}

// The generator is fixed by the C++ standard (mt19937_64 and our own
// algorithms): this fingerprint must never change, or saved models' splits
// would no longer match their config.json.
TEST(Modular, SplitIsPlatformIndependent) {
  ModularData d = make_modular(spec(13, 0.5, 0.5, 42));
  at::Tensor rows = at::nonzero(d.corrupted).squeeze(1);
  int64_t fingerprint = 0;
  auto r = rows.accessor<int64_t, 1>();
  auto l = d.labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < rows.size(0); ++i) fingerprint = (fingerprint * 31 + r[i] * 13 + l[r[i]]) % 1000000007;
  EXPECT_EQ(rows.size(0), 42);
  EXPECT_EQ(fingerprint, 646532295);
}

TEST(Modular, JsonRoundTrip) {
  ModularSpec s = spec(23, 0.4, 0.1, 5, ModularOp::mul);
  ModularSpec back = modular_spec_from_json(to_json(s), "config.json");
  EXPECT_EQ(back.p, 23);
  EXPECT_EQ(back.op, ModularOp::mul);
  EXPECT_DOUBLE_EQ(back.train_frac, 0.4);
  EXPECT_DOUBLE_EQ(back.corrupt, 0.1);
  EXPECT_EQ(back.seed, 5u);
}

TEST(Modular, BadSpecsNameTheProblem) {
  auto message = [](const ModularSpec& s) {
    try {
      s.validate("here");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(spec(1, 0.5, 0, 0)).find("here: modulus p"), std::string::npos);
  EXPECT_NE(message(spec(97, 1.5, 0, 0)).find("train fraction"), std::string::npos);
  EXPECT_NE(message(spec(97, 0.5, -0.1, 0)).find("corrupted fraction"), std::string::npos);
  EXPECT_NE(message(spec(97, 1e-9, 0, 0)).find("no training pairs"), std::string::npos);
  EXPECT_THROW(parse_modular_op("div", "--op"), Error);
  nlohmann::json wrong = {{"task", "two_hop"}};
  EXPECT_THROW(modular_spec_from_json(wrong, "config.json"), Error);
}
