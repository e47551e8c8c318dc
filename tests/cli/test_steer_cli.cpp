// glassbox-cli steer make / steer info on the shipped two-hop model: a vector
// made and saved reads back with the same hook, length and norm, and bad
// input gives one clear line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/control_vector.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::fails_clearly;
using test::run_cli;
using test::shell_quote;

std::string two_hop() { return shell_quote(test::resources("models/two-hop")); }

// The lines of `text` that start with two spaces (one per vector).
std::string vector_lines(const std::string& text) {
  std::string lines, line;
  std::istringstream in(text);
  while (std::getline(in, line))
    if (line.rfind("  ", 0) == 0) lines += line + "\n";
  return lines;
}

TEST(SteerCli, MakeThenInfoRoundTrips) {
  test::TempDir tmp;
  const std::string negatives = tmp.file("negative.txt");
  std::ofstream(negatives) << "the boss of Raviru is\n\nthe father of Raviru is\n";
  const std::string gguf = tmp.file("v.gguf");
  auto made = run_cli("steer make --model " + two_hop() + " --hook blocks.2.hook_resid_pre --positive " +
                      shell_quote("the father of Sata is") + " --negative-file " + shell_quote(negatives) +
                      " --out " + shell_quote(gguf));
  ASSERT_EQ(made.status, 0) << made.err;
  EXPECT_NE(made.out.find("mean over 1 positive minus 2 negative prompts (last position)"), std::string::npos)
      << made.out;
  // blocks.2.hook_resid_pre is the output of block 1: llama.cpp's direction.1.
  const ControlVector cv = read_control_vector(gguf);
  ASSERT_EQ(cv.directions.size(), 1u);
  EXPECT_EQ(cv.directions.begin()->first, 1);
  EXPECT_EQ(cv.directions.begin()->second.size(), 64u);
  EXPECT_EQ(cv.model_hint, "glassbox_transformer");
  auto info = run_cli("steer info " + shell_quote(gguf));
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("1 vector of length 64, model hint 'glassbox_transformer'"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("  blocks.1.hook_resid_post  layer 1  norm "), std::string::npos) << info.out;
  EXPECT_EQ(vector_lines(info.out), vector_lines(made.out));

  const std::string st = tmp.file("v.safetensors");
  auto all = run_cli("steer make --model " + two_hop() + " --hook blocks.2.hook_mlp_out --positive-file " +
                     shell_quote(negatives) + " --negative " + shell_quote("the father of Sata is") +
                     " --all-positions --out " + shell_quote(st));
  ASSERT_EQ(all.status, 0) << all.err;
  auto st_info = run_cli("steer info " + shell_quote(st));
  ASSERT_EQ(st_info.status, 0) << st_info.err;
  EXPECT_NE(st_info.out.find("  blocks.2.hook_mlp_out  layer 2  norm "), std::string::npos) << st_info.out;
}

TEST(SteerCli, BadInputGivesOneLineAndNonZeroExit) {
  test::TempDir tmp;
  const std::string make = "steer make --model " + two_hop() + " --out " + shell_quote(tmp.file("v.gguf")) + " ";
  const std::string pos = "--positive " + shell_quote("the father of Sata is") + " ";
  const std::string neg = "--negative " + shell_quote("the boss of Sata is") + " ";
  EXPECT_TRUE(fails_clearly(run_cli(make + "--hook blocks.2.hook_resid_pre " + pos), "give --negative TEXT or"));
  EXPECT_TRUE(fails_clearly(
      run_cli(make + "--hook blocks.2.hook_resid_pre " + pos + neg + "--negative-file " + shell_quote(tmp.file("n"))),
      "give --negative TEXT or"));
  EXPECT_TRUE(fails_clearly(run_cli(make + "--hook blocks.9.hook_resid_pre " + pos + neg), "no hook"));
  EXPECT_TRUE(fails_clearly(run_cli(make + "--hook blocks.2.hook_mlp_out " + pos + neg), "save it as .safetensors"));
  EXPECT_TRUE(fails_clearly(run_cli(make + "--hook blocks.2.hook_resid_pre " + pos + "--negative-file " +
                                    shell_quote(tmp.file("missing.txt"))),
                            "cannot open file"));
  const std::string not_gguf = tmp.file("text.gguf");
  std::ofstream(not_gguf) << "hello";
  EXPECT_TRUE(fails_clearly(run_cli("steer info " + shell_quote(not_gguf)), not_gguf));
  EXPECT_TRUE(fails_clearly(run_cli("steer info " + shell_quote(test::data("gguf/quant_types.gguf"))),
                            "general.architecture"));
  EXPECT_TRUE(fails_clearly(run_cli("steer info"), "missing steering vector file"));
}

}  // namespace
}  // namespace glassbox
