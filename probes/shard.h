#pragma once
// Shards of a data set analysis (`glassbox-cli probe ID --shard i/n`, `glassbox-cli merge`;
// docs/file-formats.md#shards): which rows a shard takes, what it keeps of each row, and the
// record it writes so that the shards of a run merge into exactly the output of the unsharded
// run. No torch here.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/session.h"

namespace glassbox::h5 {
class Writer;
class Reader;
}  // namespace glassbox::h5

namespace glassbox::probes {

// Shard `index` of `count`, counted from 0 (Slurm's SLURM_ARRAY_TASK_ID of
// `--array=0-(count-1)`): contiguous block `index` of the data set's rows, the
// blocks' sizes differing by at most one. 0 of 1 is the whole data set.
struct Shard {
  int64_t index = 0, count = 1;
  bool whole() const { return count == 1; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "i/n" with 0 ≤ i < n; Error(where, ...) otherwise.
Shard parse_shard(const std::string& text, const std::string& where);

// Rows [begin, end) of a data set of `rows` rows that `shard` takes.
struct RowRange {
  int64_t begin = 0, end = 0;
};
RowRange shard_range(const Shard& shard, int64_t rows);

// Each row's results, by name: what a shard keeps, so that merging shards is
// concatenating their rows and a merged output is made by the same code, from
// the same numbers, as the output of one whole run.
struct RowValues {
  std::vector<int64_t> shape;  // of one row's value; {} for a number
  std::vector<double> data;    // every row's, row-major
};
struct RowResults {
  int64_t dataset_rows = 0;  // rows of the whole data set
  int64_t first_row = 0;     // the data set's index of the first row here
  std::vector<std::string> labels;  // one per row: "row 3"
  std::map<std::string, RowValues> values;
  nlohmann::json constants = nlohmann::json::object();  // what every row shares (logit-attribution's component names)
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// The rows of `all` (the whole data set) that `shard` takes, with the block
// recorded in `rows`. Error `where` when the shard would have none.
template <class Row>
std::vector<Row> take_shard(const std::vector<Row>& all, const Shard& shard, RowResults& rows,
                            const std::string& where) {
  const RowRange range = shard_range(shard, static_cast<int64_t>(all.size()));
  if (range.begin == range.end)
    fail(where, "shard " + shard.text() + " of a data set of " + std::to_string(all.size()) +
                    " rows has no rows; use at most " + std::to_string(all.size()) + " shards");
  rows.dataset_rows = static_cast<int64_t>(all.size());
  rows.first_row = range.begin;
  return std::vector<Row>(all.begin() + range.begin, all.begin() + range.end);
}

// What a shard writes next to its own plots (under /shard of its plot export):
// the run it is part of, and its rows.
struct ShardRecord {
  Shard shard;
  std::string analysis;     // registry id
  std::string params_json;  // as in plot exports: the parameters, the data set's path, the edits
  std::string inputs_json;  // what the parameters panel would hold, for a session made by merge
  std::string edits_json = "[]";
  std::string model;        // the model as given (the plots' model attribute)
  SessionModel model_identity;  // its weights' SHA-256, device and dtype, as sessions keep them
  std::string dataset, dataset_sha256;
  std::string started_utc;
  double seconds = 0;
  RowResults rows;
};

void write_shard(h5::Writer& file, const ShardRecord& record);
// Error naming the file: not a shard, or a record that does not hold together.
ShardRecord read_shard(const h5::Reader& file);

// The shards of one run as that run, every shard's rows in data set order.
// Error naming the file and the problem: a shard of another run (analysis,
// parameters, model, data set or shard count), a shard given twice, one missing.
ShardRecord merge_shards(const std::vector<ShardRecord>& shards, const std::vector<std::string>& files);

}  // namespace glassbox::probes
