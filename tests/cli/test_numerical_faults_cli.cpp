// glassbox-cli on weights that hold NaN: a warning line when the model loads,
// and the first hook point the NaN reached in what probe and run report.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "core/h5.h"
#include "core/planted_weights.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::run_cli;
using test::shell_quote;

TEST(CliNumericalFaults, ProbeAndRunWarnAndRecordTheFirstHookPoint) {
  test::TempDir model, out;
  const std::string dir = test::planted_copy(model, "gpt2_a", "transformer.h.1.attn.c_proj.weight",
                                             std::numeric_limits<float>::quiet_NaN());
  const std::string load_warning = "warning: " + dir + ": tensor transformer.h.1.attn.c_proj.weight holds NaN/Inf\n";
  const std::string run_warning = "warning: " + dir + ": NaN in the activations, first at blocks.1.hook_attn_out\n";

  auto r = run_cli("probe next-token --model " + shell_quote(dir) + " --tokens 1,2,3 --out " +
                   shell_quote(out.file("next.h5")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, load_warning + run_warning);
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["numerical_fault"], (nlohmann::json{{"hook", "blocks.1.hook_attn_out"}, {"kind", "NaN"}}));

  r = run_cli("run --model " + shell_quote(dir) + " --tokens 1,2,3 --hooks '.*resid_post' --out " +
              shell_quote(out.file("cache.h5")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.substr(0, load_warning.size() + run_warning.size()), load_warning + run_warning);
  EXPECT_EQ(nlohmann::json::parse(h5::Reader(out.file("cache.h5")).attr_string("/", "numerical_fault"))["hook"],
            "blocks.1.hook_attn_out");
}

TEST(CliNumericalFaults, CleanModelWarnsOfNothing) {
  test::TempDir out;
  auto r = run_cli("probe next-token --model " + shell_quote(test::model_dir("gpt2_a")) + " --tokens 1,2,3 --out " +
                   shell_quote(out.file("next.h5")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(nlohmann::json::parse(r.out).contains("numerical_fault"));
}

}  // namespace
}  // namespace glassbox
