// glassbox-cli probe ... --shard i/n and glassbox-cli merge: a data set
// analysis run in parts, as a Slurm job array would, merges into the output
// of the unsharded run, and merge refuses parts that do not make one run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/session.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::run_cli;
using test::shell_quote;
namespace fs = std::filesystem;

const int kShards = 3;

struct DatasetRun {
  std::string analysis, flags;  // the probe and its options besides --model, --dataset and --out
};

class ShardCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // Four rows in three shards: blocks of 2, 1 and 1 rows.
    std::ofstream(pairs_) << "clean,corrupted,answer,wrong\n"
                             "the father of the father of Sata is,the father of the father of Raviru is,Pisari,Pevu\n"
                             "the boss of the boss of Raviru is,the boss of the boss of Sata is,Pevu,Pisari\n"
                             "the father of the father of Raviru is,the father of the father of Sata is,Pevu,Pisari\n"
                             "the boss of the boss of Sata is,the boss of the boss of Raviru is,Pisari,Pevu\n";
    std::ifstream heldout(test::resources("models/two-hop/two_hop_heldout.csv"));
    std::ofstream queries(queries_);
    std::string line;
    for (int i = 0; i < 6 && std::getline(heldout, line); ++i) queries << line << "\n";
  }

  std::string probe(const DatasetRun& run, const std::string& dataset, const std::string& out,
                    const std::string& extra = "") const {
    return "probe " + run.analysis + " --model " + shell_quote(test::resources("models/two-hop")) + " --dataset " +
           shell_quote(dataset) + " " + run.flags + extra + " --out " + shell_quote(out);
  }

  std::string part(int i) const { return dir_.file("part-" + std::to_string(i) + ".h5"); }

  // The parts of `run`, shard i of kShards in part(i).
  void run_shards(const DatasetRun& run, const std::string& dataset) const {
    for (int i = 0; i < kShards; ++i) {
      const auto r = run_cli(probe(run, dataset, part(i), " --shard " + std::to_string(i) + "/" + std::to_string(kShards)));
      ASSERT_EQ(r.status, 0) << run.analysis << " shard " << i << ": " << r.err;
    }
  }

  std::string parts() const {
    std::string files;
    for (int i = 0; i < kShards; ++i) files += " " + shell_quote(part(i));
    return files;
  }

  test::TempDir dir_;
  const std::string pairs_ = dir_.file("pairs.csv");
  const std::string queries_ = dir_.file("queries.csv");
};

// The largest |a - b| over the plots of two runs, which must have the same
// plots (in any order), shapes, axes and NaN cells.
double max_difference(std::vector<Plot> a, std::vector<Plot> b) {
  const auto by_name = [](const Plot& p, const Plot& q) { return p.name < q.name; };
  std::sort(a.begin(), a.end(), by_name);
  std::sort(b.begin(), b.end(), by_name);
  EXPECT_EQ(a.size(), b.size());
  double largest = 0;
  for (size_t p = 0; p < std::min(a.size(), b.size()); ++p) {
    EXPECT_EQ(a[p].name, b[p].name);
    EXPECT_EQ(a[p].title, b[p].title);
    EXPECT_EQ(a[p].shape, b[p].shape) << a[p].name;
    EXPECT_EQ(a[p].x.labels, b[p].x.labels) << a[p].name;
    EXPECT_EQ(a[p].y.labels, b[p].y.labels) << a[p].name;
    if (a[p].data.size() != b[p].data.size()) continue;
    for (size_t i = 0; i < a[p].data.size(); ++i) {
      EXPECT_EQ(std::isnan(a[p].data[i]), std::isnan(b[p].data[i])) << a[p].name << " cell " << i;
      if (!std::isnan(a[p].data[i])) largest = std::max(largest, double(std::abs(a[p].data[i] - b[p].data[i])));
    }
  }
  return largest;
}

std::vector<Plot> plots_of(const std::string& path) { return read_plots(h5::Reader(path)); }

TEST_F(ShardCli, EveryDatasetAnalysisMergesIntoTheUnshardedRun) {
  const std::pair<DatasetRun, std::string> runs[] = {
      {{"activation-patching", "--grid resid_pre"}, pairs_},
      {{"logit-attribution", "--top-neurons 5"}, pairs_},
      {{"backpatch-dataset", "--generate 2 --span-e1"}, queries_},
  };
  for (const auto& [run, dataset] : runs) {
    const std::string whole = dir_.file(run.analysis + ".h5");
    const auto unsharded = run_cli(probe(run, dataset, whole));
    ASSERT_EQ(unsharded.status, 0) << run.analysis << ": " << unsharded.err;
    run_shards(run, dataset);
    const std::string merged = dir_.file(run.analysis + "-merged.h5");
    const auto m = run_cli("merge --out " + shell_quote(merged) + parts());
    ASSERT_EQ(m.status, 0) << run.analysis << ": " << m.err;
    const double difference = max_difference(plots_of(merged), plots_of(whole));
    EXPECT_LE(difference, 1e-6) << run.analysis;
    std::ostringstream measured;
    measured << difference;
    RecordProperty(run.analysis + "_max_abs_difference", measured.str());

    // Merged into a session: one run with the same plots, of the data set, that reads like any other session.
    const std::string session = dir_.file(run.analysis + ".gbx");
    ASSERT_EQ(run_cli("merge --out " + shell_quote(session) + parts()).status, 0) << run.analysis;
    const Session s = read_session(session);
    ASSERT_EQ(s.runs.size(), 1u);
    EXPECT_EQ(s.runs[0].analysis, run.analysis);
    EXPECT_EQ(s.runs[0].dataset, dataset);
    EXPECT_EQ(s.runs[0].prompt, -1);
    EXPECT_EQ(s.model.path, test::resources("models/two-hop"));
    EXPECT_LE(max_difference(s.runs[0].plots, plots_of(whole)), 1e-6) << run.analysis;
  }
}

TEST_F(ShardCli, MergeRefusesPartsThatAreNotOneRunAndWritesNothing) {
  const DatasetRun run = {"logit-attribution", "--top-neurons 5"};
  run_shards(run, pairs_);
  const std::string out = dir_.file("merged.h5");
  const auto merge = [&](const std::string& files) { return run_cli("merge --out " + shell_quote(out) + files); };

  EXPECT_TRUE(test::fails_clearly(merge(" " + shell_quote(part(0)) + " " + shell_quote(part(2))), "shard 1/3"));
  EXPECT_TRUE(test::fails_clearly(merge(parts() + " " + shell_quote(part(1))), "shard 1/3 is given twice"));

  // Another run's shard 1: other parameters, another analysis, another split.
  const std::string other = dir_.file("other.h5");
  ASSERT_EQ(run_cli(probe({run.analysis, "--top-neurons 6"}, pairs_, other, " --shard 1/3")).status, 0);
  const std::string mixed = " " + shell_quote(part(0)) + " " + shell_quote(other) + " " + shell_quote(part(2));
  EXPECT_TRUE(test::fails_clearly(merge(mixed), other + ": not a shard of the same run"));
  ASSERT_EQ(run_cli(probe({"activation-patching", ""}, pairs_, other, " --shard 1/3")).status, 0);
  EXPECT_TRUE(test::fails_clearly(merge(mixed), "its analysis is activation-patching"));
  ASSERT_EQ(run_cli(probe(run, pairs_, other, " --shard 1/2")).status, 0);
  EXPECT_TRUE(test::fails_clearly(merge(mixed), "of a run in 3 shards"));
  // A data set whose rows changed between the parts.
  std::ofstream(pairs_, std::ios::app) << "the boss of the boss of Sata is,the boss of the boss of Raviru is,Pisari,Pevu\n";
  ASSERT_EQ(run_cli(probe(run, pairs_, other, " --shard 1/3")).status, 0);
  EXPECT_TRUE(test::fails_clearly(merge(mixed), "its data set differs"));
  // The unsharded output is no part.
  ASSERT_EQ(run_cli(probe(run, pairs_, other)).status, 0);
  EXPECT_TRUE(test::fails_clearly(merge(mixed), other + ": not a shard"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(test::fails_clearly(run_cli("merge --out " + shell_quote(dir_.file("merged.gbx")) + mixed), "not a shard"));
  EXPECT_FALSE(fs::exists(dir_.file("merged.gbx")));
}

TEST_F(ShardCli, ShardFlagsAreChecked) {
  const DatasetRun run = {"logit-attribution", ""};
  const std::string out = dir_.file("part.h5");
  EXPECT_TRUE(test::fails_clearly(run_cli(probe(run, pairs_, out, " --shard 3/3")), "counted from 0"));
  EXPECT_TRUE(test::fails_clearly(run_cli(probe(run, pairs_, out, " --shard 1-3")), "not i/n"));
  EXPECT_TRUE(test::fails_clearly(run_cli(probe(run, pairs_, out, " --shard 4/5")), "use at most 4 shards"));
  EXPECT_TRUE(test::fails_clearly(
      run_cli("probe logit-lens --model " + shell_quote(test::resources("models/two-hop")) +
              " --prompt 'the father of Sata is' --shard 0/2 --out " + shell_quote(out)),
      "unknown option --shard"));
  EXPECT_FALSE(fs::exists(out));
  const auto help = run_cli("probe backpatch-dataset --help");
  EXPECT_NE(help.out.find("--shard i/n"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace glassbox
