#include "probes/shard.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "core/h5.h"

namespace glassbox::probes {

namespace {

const std::string kRoot = "/shard";

int64_t parse_count(const std::string& text, const std::string& where, const std::string& whole) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || text.find_first_not_of("0123456789") != std::string::npos)
    fail(where, "'" + whole + "' is not i/n (the shard's index from 0, then the number of shards)");
  return value;
}

nlohmann::json model_to_json(const SessionModel& m) {
  return {{"path", m.path},   {"kind", m.kind},   {"family", m.family},
          {"config_json", m.config_json},        {"device", m.device},
          {"dtype", m.dtype}, {"weights_files", m.weights_files}, {"weights_sha256", m.weights_sha256}};
}

SessionModel model_from_json(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  try {
    SessionModel m;
    m.path = j.at("path").get<std::string>();
    m.kind = j.at("kind").get<std::string>();
    m.family = j.at("family").get<std::string>();
    m.config_json = j.at("config_json").get<std::string>();
    m.device = j.at("device").get<std::string>();
    m.dtype = j.at("dtype").get<std::string>();
    m.weights_files = j.at("weights_files").get<std::vector<std::string>>();
    m.weights_sha256 = j.at("weights_sha256").get<std::vector<std::string>>();
    if (m.weights_files.size() != m.weights_sha256.size()) fail(where, "model_json lists other numbers of weights files and hashes");
    return m;
  } catch (const nlohmann::json::exception&) {
    fail(where, "model_json is not the model's description");
  }
}

// What makes two runs' models the same, wherever the folder is mounted: the
// weights, and how they were computed with.
nlohmann::json model_identity(const SessionModel& m) {
  return {{"family", m.family}, {"config_json", m.config_json}, {"device", m.device}, {"dtype", m.dtype},
          {"weights_sha256", m.weights_sha256}};
}

void append_rows(RowResults& rows, const RowResults& next, const std::string& where) {
  if (next.constants != rows.constants) fail(where, "its rows' shared values differ from the other shards'");
  for (const auto& [name, values] : rows.values) {
    const auto it = next.values.find(name);
    if (it == next.values.end() || it->second.shape != values.shape)
      fail(where, "its rows' value '" + name + "' is missing or of another shape than in the other shards");
  }
  if (next.values.size() != rows.values.size()) fail(where, "its rows hold other values than the other shards'");
  for (auto& [name, values] : rows.values) {
    const std::vector<double>& more = next.values.at(name).data;
    values.data.insert(values.data.end(), more.begin(), more.end());
  }
  rows.labels.insert(rows.labels.end(), next.labels.begin(), next.labels.end());
}

}  // namespace

Shard parse_shard(const std::string& text, const std::string& where) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos)
    fail(where, "'" + text + "' is not i/n (the shard's index from 0, then the number of shards)");
  Shard s;
  s.index = parse_count(text.substr(0, slash), where, text);
  s.count = parse_count(text.substr(slash + 1), where, text);
  if (s.count < 1) fail(where, "'" + text + "': the number of shards must be at least 1");
  if (s.index >= s.count)
    fail(where, "'" + text + "': shards are counted from 0, so the index must be below " + std::to_string(s.count));
  return s;
}

RowRange shard_range(const Shard& shard, int64_t rows) {
  // rows = q·count + r: the first r shards take q + 1 rows, the others q.
  const int64_t q = rows / shard.count, r = rows % shard.count;
  const auto begin = [&](int64_t i) { return i * q + std::min(i, r); };
  RowRange range;
  range.begin = begin(shard.index);
  range.end = begin(shard.index + 1);
  return range;
}

void write_shard(h5::Writer& file, const ShardRecord& r) {
  file.group(kRoot);
  const std::pair<const char*, const std::string&> texts[] = {
      {"analysis", r.analysis},     {"params_json", r.params_json}, {"inputs_json", r.inputs_json},
      {"edits_json", r.edits_json}, {"model", r.model},             {"dataset", r.dataset},
      {"dataset_sha256", r.dataset_sha256}, {"started_utc", r.started_utc}};
  for (const auto& [name, value] : texts) file.attr(kRoot, name, value);
  file.attr(kRoot, "model_json", model_to_json(r.model_identity).dump());
  file.attr(kRoot, "constants_json", r.rows.constants.dump());
  const std::pair<const char*, int64_t> numbers[] = {{"index", r.shard.index},
                                                     {"count", r.shard.count},
                                                     {"dataset_rows", r.rows.dataset_rows},
                                                     {"first_row", r.rows.first_row}};
  for (const auto& [name, value] : numbers) file.attr(kRoot, name, value);
  file.attr(kRoot, "seconds", r.seconds);
  file.dataset(kRoot + "/labels", r.rows.labels);
  file.group(kRoot + "/values");
  for (const auto& [name, values] : r.rows.values) {
    std::vector<int64_t> shape = {r.rows.size()};
    shape.insert(shape.end(), values.shape.begin(), values.shape.end());
    file.dataset(kRoot + "/values/" + name, values.data.data(), shape);
  }
}

ShardRecord read_shard(const h5::Reader& file) {
  const std::string& where = file.path();
  if (!file.exists(kRoot)) fail(where, "not a shard (no /shard group: it was written without --shard)");
  ShardRecord r;
  r.analysis = file.attr_string(kRoot, "analysis");
  r.params_json = file.attr_string(kRoot, "params_json");
  r.inputs_json = file.attr_string(kRoot, "inputs_json");
  r.edits_json = file.attr_string(kRoot, "edits_json");
  r.model = file.attr_string(kRoot, "model");
  r.model_identity = model_from_json(file.attr_string(kRoot, "model_json"), where);
  r.dataset = file.attr_string(kRoot, "dataset");
  r.dataset_sha256 = file.attr_string(kRoot, "dataset_sha256");
  r.started_utc = file.attr_string(kRoot, "started_utc");
  r.seconds = file.attr_double(kRoot, "seconds");
  r.shard.index = file.attr_int(kRoot, "index");
  r.shard.count = file.attr_int(kRoot, "count");
  if (r.shard.count < 1 || r.shard.index < 0 || r.shard.index >= r.shard.count)
    fail(where, "/shard says it is shard " + r.shard.text() + ", which is not a shard");
  RowResults& rows = r.rows;
  rows.constants = nlohmann::json::parse(file.attr_string(kRoot, "constants_json"), nullptr, false);
  if (!rows.constants.is_object()) fail(where, "/shard constants_json is not a JSON object");
  rows.dataset_rows = file.attr_int(kRoot, "dataset_rows");
  rows.first_row = file.attr_int(kRoot, "first_row");
  rows.labels = file.read_strings(kRoot + "/labels");
  const RowRange range = shard_range(r.shard, rows.dataset_rows);
  if (range.begin == range.end || rows.first_row != range.begin || rows.size() != range.end - range.begin)
    fail(where, "/shard holds " + std::to_string(rows.size()) + " rows from row " + std::to_string(rows.first_row) +
                    ", but shard " + r.shard.text() + " of " + std::to_string(rows.dataset_rows) + " rows has rows " +
                    std::to_string(range.begin) + " to " + std::to_string(range.end - 1));
  for (const std::string& name : file.children(kRoot + "/values")) {
    const std::string path = kRoot + "/values/" + name;
    const std::vector<int64_t> shape = file.shape(path);
    if (shape.empty() || shape[0] != rows.size() || file.kind(path) != h5::Kind::Float)
      fail(where, path + " is not one float value per row (" + std::to_string(rows.size()) + " rows)");
    RowValues& values = rows.values[name];
    values.shape.assign(shape.begin() + 1, shape.end());
    values.data = file.read_double(path);
  }
  return r;
}

ShardRecord merge_shards(const std::vector<ShardRecord>& shards, const std::vector<std::string>& files) {
  if (shards.empty()) fail("merge", "no shards given");
  const ShardRecord& first = shards.front();
  std::map<int64_t, size_t> by_index;  // shard index -> position in `shards`
  for (size_t i = 0; i < shards.size(); ++i) {
    const ShardRecord& s = shards[i];
    const std::string& where = files[i];
    const std::string other = "not a shard of the same run as " + files.front() + ": ";
    if (s.analysis != first.analysis) fail(where, other + "its analysis is " + s.analysis + ", not " + first.analysis);
    if (s.params_json != first.params_json) fail(where, other + "its parameters differ: " + s.params_json);
    if (model_identity(s.model_identity) != model_identity(first.model_identity))
      fail(where, other + "its model differs (weights, device or dtype)");
    if (s.dataset_sha256 != first.dataset_sha256 || s.rows.dataset_rows != first.rows.dataset_rows)
      fail(where, other + "its data set differs (" + std::to_string(s.rows.dataset_rows) + " rows, SHA-256 " +
                      s.dataset_sha256.substr(0, 12) + "…)");
    if (s.shard.count != first.shard.count)
      fail(where, other + "it is shard " + s.shard.text() + " of a run in " + std::to_string(first.shard.count) +
                      " shards");
    const auto [it, fresh] = by_index.emplace(s.shard.index, i);
    if (!fresh) fail(where, "shard " + s.shard.text() + " is given twice (also " + files[it->second] + ")");
  }
  Shard missing;
  missing.count = first.shard.count;
  for (const auto& entry : by_index) {
    if (entry.first != missing.index) break;
    ++missing.index;
  }
  if (missing.index < missing.count)
    fail("merge", "shard " + missing.text() + " of the run of " + files.front() + " is missing");
  ShardRecord merged = shards[by_index.begin()->second];
  merged.shard = Shard{};
  for (auto it = std::next(by_index.begin()); it != by_index.end(); ++it) {
    const ShardRecord& s = shards[it->second];
    append_rows(merged.rows, s.rows, files[it->second]);
    merged.started_utc = std::min(merged.started_utc, s.started_utc);
    merged.seconds += s.seconds;
  }
  return merged;
}

}  // namespace glassbox::probes
