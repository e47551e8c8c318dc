#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "core/model_files.h"

namespace glassbox {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DTypeInfo {
  DType type;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 1},       {DType::U8, "U8", 1},   {DType::I8, "I8", 1},
    {DType::F8_E5M2, "F8_E5M2", 1}, {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::I16, "I16", 2},         {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},       {DType::I32, "I32", 4}, {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},         {DType::F64, "F64", 8}, {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
};

const DTypeInfo& dtype_info(DType t) {
  for (const DTypeInfo& info : kDTypes)
    if (info.type == t) return info;
  throw Error("unknown dtype enum value " + std::to_string(static_cast<int>(t)));
}

// Same limit as the reference implementation: a bigger header is an attack or damage.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t extra;
    uint32_t min_code;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min_code = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min_code = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min_code = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// A JSON integer that fits in uint64 (nlohmann stores non-negative literals as unsigned).
bool as_unsigned(const json& j, uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  return false;
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// A validated header entry, before the offsets are checked against each other.
struct Entry {
  TensorRecord record;
  uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& path, const std::string& name, const json& j) {
  std::string where = "tensor " + in_quotes(name) + ": ";
  if (!j.is_object()) fail(path, where + "header entry is not a JSON object");
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      fail(path, where + "unexpected key " + in_quotes(key) + " (allowed: dtype, shape, data_offsets)");
  }
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!j.contains(key)) fail(path, where + "missing " + in_quotes(key));

  Entry e;
  e.record.name = name;
  const json& dtype = j["dtype"];
  if (!dtype.is_string()) fail(path, where + "dtype is not a string");
  const std::string dtype_str = dtype.get<std::string>();
  auto info = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                           [&](const DTypeInfo& d) { return dtype_str == d.name; });
  if (info == std::end(kDTypes)) fail(path, where + "unknown dtype " + in_quotes(dtype_str));
  e.record.dtype = info->type;

  const json& shape = j["shape"];
  if (!shape.is_array()) fail(path, where + "shape is not an array");
  uint64_t numel = 1;
  for (const json& dim_json : shape) {
    uint64_t dim;
    if (!as_unsigned(dim_json, dim) || dim > static_cast<uint64_t>(INT64_MAX))
      fail(path, where + "shape " + shape.dump() + " has a dimension that is not a non-negative integer");
    if (__builtin_mul_overflow(numel, dim, &numel) || numel > static_cast<uint64_t>(INT64_MAX))
      fail(path, where + "shape " + shape.dump() + " has too many elements");
    e.record.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t nbytes;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(info->size), &nbytes))
    fail(path, where + "shape " + shape.dump() + " has too many bytes");

  const json& offsets = j["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !as_unsigned(offsets[0], e.begin) ||
      !as_unsigned(offsets[1], e.end))
    fail(path, where + "data_offsets " + offsets.dump() + " is not two non-negative integers");
  if (e.end < e.begin) fail(path, where + "data_offsets " + offsets.dump() + " end before they begin");
  if (e.end - e.begin != nbytes)
    fail(path, where + "data_offsets " + offsets.dump() + " span " + std::to_string(e.end - e.begin) +
                   " bytes but " + dtype_str + " " + shape.dump() + " needs " + std::to_string(nbytes));
  e.record.nbytes = static_cast<size_t>(nbytes);
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& j) {
  if (!j.is_object()) fail(path, "__metadata__ is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) fail(path, "__metadata__ value " + in_quotes(key) + " is not a string");
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

}  // namespace

const char* dtype_name(DType t) { return dtype_info(t).name; }
size_t dtype_size(DType t) { return dtype_info(t).size; }

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {  // mmap rejects empty mappings; an empty file has no data to point at
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      fail(path, std::string("cannot map into memory: ") + std::strerror(err));
    }
    data_ = static_cast<const std::byte*>(p);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto result = std::make_shared<SafetensorsFile>();
  result->file_ = std::make_shared<const MappedFile>(path);
  const MappedFile& file = *result->file_;
  const size_t size = file.size();
  if (size < 8)
    fail(path, "file is " + std::to_string(size) + " bytes; a safetensors file starts with an 8-byte header length");

  uint64_t header_len = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(file.data());
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];  // little-endian u64
  if (header_len > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                   std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > size - 8)
    fail(path, "header of " + std::to_string(header_len) + " bytes extends past the end of the file (" +
                   std::to_string(size) + " bytes)");
  const unsigned char* header = bytes + 8;
  if (!is_valid_utf8(header, header_len)) fail(path, "header is not valid UTF-8");

  // nlohmann keeps only the last of duplicate keys; count top-level keys to catch them.
  std::set<std::string> seen_names;
  std::string duplicate;
  json::parser_callback_t note_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key && !seen_names.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json root = json::parse(header, header + header_len, note_duplicates, /*allow_exceptions=*/false);
  if (root.is_discarded()) fail(path, "header is not valid JSON");
  if (!root.is_object()) fail(path, "header is not a JSON object");
  if (!duplicate.empty()) fail(path, "tensor " + in_quotes(duplicate) + " appears twice in the header");

  std::vector<Entry> entries;
  for (const auto& [name, value] : root.items()) {
    if (name == "__metadata__")
      result->metadata_ = parse_metadata(path, value);
    else
      entries.push_back(parse_entry(path, name, value));
  }

  // Sorted by position, each tensor must start where the previous one ended.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t expected_begin = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin)
      fail(path, "tensor " + in_quotes(e.record.name) + ": data begins at byte " + std::to_string(e.begin) + " but " +
                     (previous ? "tensor " + in_quotes(previous->record.name) + " ends at " + std::to_string(expected_begin)
                               : std::string("the data section starts at 0")) +
                     " (offsets must be contiguous and non-overlapping)");
    expected_begin = e.end;
    previous = &e;
  }
  const uint64_t data_section = size - 8 - header_len;
  if (expected_begin != data_section)
    fail(path, "tensors occupy " + std::to_string(expected_begin) + " bytes but the data section after the header is " +
                   std::to_string(data_section) + " bytes");

  const std::byte* data_start = file.data() + 8 + header_len;
  for (Entry& e : entries) {
    e.record.data = data_start + e.begin;
    e.record.file = result->file_;
    std::string name = e.record.name;
    result->tensors_.emplace(std::move(name), std::move(e.record));
  }
  return result;
}

const std::string& SafetensorsFile::path() const { return file_->path(); }

Checkpoint Checkpoint::open_file(const std::string& path) {
  Checkpoint checkpoint;
  checkpoint.description_ = path;
  checkpoint.tensors_ = SafetensorsFile::open(path)->tensors();
  return checkpoint;
}

namespace {

// Throws unless `file`, links followed, stays inside the model's folder `root`:
// a downloaded folder must not make Glassbox read files elsewhere on the machine.
void check_inside_model_folder(const fs::path& root, const fs::path& file) {
  const ResolvedPath resolved = resolve_inside(root, file);
  if (resolved.status == ResolvedPath::outside) fail(file.string(), "is a link that " + resolved.problem);
}

}  // namespace

Checkpoint Checkpoint::open_dir(const std::string& dir) {
  const fs::path folder(dir);
  const fs::path root = weights_root(folder);
  const fs::path single = folder / "model.safetensors";
  const fs::path index_path = folder / "model.safetensors.index.json";
  if (fs::exists(single)) {
    check_inside_model_folder(root, single);
    return open_file(single.string());
  }
  if (!fs::exists(index_path)) {
    const std::vector<std::string> pickles = pickle_weight_files(folder);
    if (!pickles.empty()) {
      std::string names;
      for (const std::string& name : pickles) names += (names.empty() ? "" : ", ") + name;
      fail(dir, "only pickle weights (" + names +
                    "): Glassbox reads safetensors and GGUF weights only, never pickle, which can run code when loaded");
    }
    fail(dir, "no model.safetensors or model.safetensors.index.json in this folder");
  }
  check_inside_model_folder(root, index_path);

  const std::string index_name = index_path.string();
  const json index = read_json_file(index_name);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail(index_name, "no \"weight_map\" object");

  Checkpoint checkpoint;
  checkpoint.description_ = dir;
  std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;  // each opened once
  for (const auto& [tensor, shard_json] : index["weight_map"].items()) {
    if (!shard_json.is_string()) fail(index_name, "weight_map entry for " + in_quotes(tensor) + " is not a string");
    const std::string shard = shard_json.get<std::string>();
    const fs::path shard_path(shard);
    if (!is_plain_relative(shard_path)) fail(index_name, "shard " + in_quotes(shard) + " is not a file inside the model folder");
    if (!shards.count(shard)) {
      check_inside_model_folder(root, folder / shard_path);
      shards[shard] = SafetensorsFile::open((folder / shard_path).string());
    }
    if (!shards[shard]->tensors().count(tensor))
      fail(index_name, "tensor " + in_quotes(tensor) + " is mapped to shard " + in_quotes(shard) + ", which does not contain it");
  }
  std::map<std::string, std::string> shard_of;
  for (const auto& [shard, file] : shards) {
    for (const auto& [name, record] : file->tensors()) {
      auto [it, inserted] = shard_of.emplace(name, shard);
      if (!inserted)
        fail(index_name, "tensor " + in_quotes(name) + " appears in both shard " + in_quotes(it->second) + " and " + in_quotes(shard));
      checkpoint.tensors_.emplace(name, record);
    }
  }
  return checkpoint;
}

bool Checkpoint::has(const std::string& name) const { return tensors_.count(name) > 0; }

const TensorRecord& Checkpoint::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(description_, "no tensor named " + in_quotes(name));
  return it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  for (const auto& entry : tensors_) names.push_back(entry.first);
  return names;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    if (t.name == "__metadata__" || header.contains(t.name))
      fail(path, "tensor name " + in_quotes(t.name) + " is reserved or used twice");
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) fail(path, "tensor " + in_quotes(t.name) + ": negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    if (numel * dtype_size(t.dtype) != t.nbytes)
      fail(path, "tensor " + in_quotes(t.name) + ": " + std::to_string(t.nbytes) + " bytes given but the shape needs " +
                     std::to_string(numel * dtype_size(t.dtype)));
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string header_text = header.dump();
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail(path, std::string("cannot create a temporary file next to it: ") + std::strerror(errno));
  auto write_all = [&](const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t written = ::write(fd, p, n);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return false;
      p += written;
      n -= static_cast<size_t>(written);
    }
    return true;
  };
  unsigned char length_bytes[8];
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(header_text.size() >> (8 * i));
  bool ok = write_all(length_bytes, 8) && write_all(header_text.data(), header_text.size());
  for (size_t i = 0; ok && i < tensors.size(); ++i) ok = write_all(tensors[i].data, tensors[i].nbytes);
  int write_errno = errno;
  ok = (::close(fd) == 0) && ok;
  try {
    if (!ok) fail(path, std::string("cannot write: ") + std::strerror(write_errno));
    replace_file_durably(tmp, path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace glassbox
