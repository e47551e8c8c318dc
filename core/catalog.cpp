#include "core/catalog.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/gguf.h"
#include "core/model_files.h"

namespace glassbox {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// What load_model accepts. Mirrors the registries in core/model.cpp and
// core/gguf_model.cpp, which live in the torch part of core.
const std::vector<std::string> kSupportedModelTypes = {
    "gpt2", "gpt_neox", "llama", "mistral", "qwen2", "glassbox_mlp", "glassbox_transformer"};
const std::vector<std::string> kSupportedGgufArchitectures = {"llama", "qwen2", "gpt2", "gptneox"};

const char* const kOllamaModelMediaType = "application/vnd.ollama.image.model";
const char* const kOllamaDefaultRegistry = "registry.ollama.ai";
const char* const kOllamaDefaultNamespace = "library";
// Manifests, refs and configs are small; a huge one is not what it claims to be.
constexpr uintmax_t kMaxManifestBytes = uintmax_t{1} << 20;
constexpr uintmax_t kMaxConfigBytes = uintmax_t{16} << 20;
constexpr uintmax_t kMaxRefBytes = 1024;
// Names from disk end up in one-line reasons: keep them short and printable.
constexpr size_t kMaxShownChars = 80;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

std::string shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, kMaxShownChars)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return "'" + out + (text.size() > kMaxShownChars ? "...'" : "'");
}

// Entry tests that never end a walk: a dangling link sets an error code, and the
// walks stop at the first error of their own iterator.
bool is_folder(const fs::directory_entry& entry) {
  std::error_code ec;
  return entry.is_directory(ec);
}
bool is_link(const fs::directory_entry& entry) {
  std::error_code ec;
  return entry.is_symlink(ec);
}
bool is_file(const fs::directory_entry& entry) {
  std::error_code ec;
  return entry.is_regular_file(ec);
}

// The whole file, or `problem` says why not.
struct Text {
  std::string content;
  std::string problem;
};
Text read_small_file(const fs::path& real, uintmax_t max_bytes) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(real, ec);
  if (ec) return {"", "cannot be read (" + ec.message() + ")"};
  if (size > max_bytes) return {"", "is " + std::to_string(size) + " bytes, more than such a file holds"};
  std::ifstream in(real, std::ios::binary);
  if (!in) return {"", "cannot be opened"};
  std::stringstream content;
  content << in.rdbuf();
  return {content.str(), ""};
}

json parse_json_or_discarded(const std::string& text) { return json::parse(text, nullptr, false); }

void finish(CatalogEntry& entry, const std::vector<std::string>& reasons) {
  entry.supported = reasons.empty();
  entry.reason = join(reasons, "; ");
}

// Describes an entry through `describe`, turning anything it throws into the
// entry's reason: one odd model must not end the listing.
template <class Describe>
void describe_safely(CatalogEntry& entry, Describe describe) {
  try {
    describe();
  } catch (const std::exception& e) {
    entry.supported = false;
    entry.reason = e.what();
  }
}

// ---- Hugging Face hub cache ----

// "models--org--name" -> "org/name" ("models--gpt2" -> "gpt2"); empty when
// the folder is not a model repository.
std::string hf_repo_name(const std::string& folder) {
  const std::string prefix = "models--";
  if (folder.compare(0, prefix.size(), prefix) != 0) return "";
  std::string rest = folder.substr(prefix.size());
  const size_t separator = rest.find("--");
  if (separator != std::string::npos) rest.replace(separator, 2, "/");
  const bool malformed = rest.empty() || rest.front() == '/' || rest.back() == '/';
  return malformed ? "" : rest;
}

// Sums the sizes of `files` (names inside `snapshot`), each resolved inside the root.
uint64_t sum_sizes(const fs::path& root, const fs::path& snapshot, const std::vector<std::string>& files,
                   std::vector<std::string>& reasons) {
  uint64_t total = 0;
  for (const std::string& name : files) {
    const ResolvedPath file = resolve_inside(root, snapshot / name);
    std::error_code ec;
    const uintmax_t size = file.problem.empty() ? fs::file_size(file.real, ec) : 0;
    if (!file.problem.empty()) {
      reasons.push_back(name + " " + file.problem);
    } else if (ec) {
      reasons.push_back(name + " cannot be read (" + ec.message() + ")");
    } else {
      total += size;
    }
  }
  return total;
}

// The shard files model.safetensors.index.json names, each once.
std::vector<std::string> safetensors_shards(const fs::path& root, const fs::path& snapshot,
                                            std::vector<std::string>& reasons) {
  const std::string index_name = "model.safetensors.index.json";
  const ResolvedPath index = resolve_inside(root, snapshot / index_name);
  if (!index.problem.empty()) {
    reasons.push_back(index_name + " " + index.problem);
    return {};
  }
  const Text text = read_small_file(index.real, kMaxConfigBytes);
  if (!text.problem.empty()) {
    reasons.push_back(index_name + " " + text.problem);
    return {};
  }
  const json parsed = parse_json_or_discarded(text.content);
  if (!parsed.is_object() || !parsed.contains("weight_map") || !parsed["weight_map"].is_object()) {
    reasons.push_back(index_name + " has no \"weight_map\" object");
    return {};
  }
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : parsed["weight_map"].items()) {
    const fs::path shard_path(shard.is_string() ? shard.get<std::string>() : std::string());
    if (!is_plain_relative(shard_path)) {
      reasons.push_back(index_name + ": the shard of tensor " + shown(tensor) + " is not a file inside the snapshot");
      return {};
    }
    shards.insert(shard_path.string());
  }
  return {shards.begin(), shards.end()};
}

// Size of the weights load_model would read (safetensors only), or why there are none.
uint64_t hf_weights(const fs::path& root, const fs::path& snapshot, std::vector<std::string>& reasons) {
  const auto present = [&](const char* name) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(snapshot / name, ec));
  };
  if (present("model.safetensors")) return sum_sizes(root, snapshot, {"model.safetensors"}, reasons);
  if (present("model.safetensors.index.json")) {
    const std::vector<std::string> shards = safetensors_shards(root, snapshot, reasons);
    return sum_sizes(root, snapshot, shards, reasons);
  }
  const std::vector<std::string> pickles = pickle_weight_files(snapshot);
  if (pickles.empty()) {
    reasons.push_back("no weights (no model.safetensors or model.safetensors.index.json)");
    return 0;
  }
  reasons.push_back("only pickle weights (" + join(pickles, ", ") + "): pickle weights are not loaded, only safetensors");
  return sum_sizes(root, snapshot, pickles, reasons);
}

// config.json's model_type, or why it cannot be known.
std::string hf_model_type(const fs::path& root, const fs::path& snapshot, std::vector<std::string>& reasons) {
  const ResolvedPath config = resolve_inside(root, snapshot / "config.json");
  if (!config.problem.empty()) {
    reasons.push_back(config.status == ResolvedPath::missing ? "no config.json" : "config.json " + config.problem);
    return "";
  }
  const Text text = read_small_file(config.real, kMaxConfigBytes);
  if (!text.problem.empty()) {
    reasons.push_back("config.json " + text.problem);
    return "";
  }
  const json parsed = parse_json_or_discarded(text.content);
  if (!parsed.is_object()) {
    reasons.push_back("config.json is not a JSON object");
    return "";
  }
  if (!parsed.contains("model_type") || !parsed["model_type"].is_string()) {
    reasons.push_back("config.json has no model_type string");
    return "";
  }
  const std::string type = parsed["model_type"].get<std::string>();
  if (!contains(kSupportedModelTypes, type))
    reasons.push_back("model_type " + shown(type) + " is not supported (supported: " + join(kSupportedModelTypes, ", ") + ")");
  return type;
}

// The first link in the snapshot that leads outside the root, if any: the
// loader follows links, so one such file makes the snapshot untrusted.
std::string escaping_link(const fs::path& root, const fs::path& snapshot) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(snapshot, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!is_link(*it)) continue;
    const ResolvedPath target = resolve_inside(root, it->path());
    if (target.status == ResolvedPath::outside)
      return it->path().lexically_relative(snapshot).string() + " " + target.problem;
  }
  return "";
}

CatalogEntry describe_hf_snapshot(const fs::path& root, const std::string& repo, const fs::path& snapshot) {
  CatalogEntry entry;
  entry.source = "hf-cache";
  entry.name = repo;
  entry.revision = snapshot.filename().string();
  entry.path = snapshot.string();
  entry.format = "folder";
  describe_safely(entry, [&] {
    std::vector<std::string> reasons;
    const ResolvedPath real = resolve_inside(root, snapshot);
    if (!real.problem.empty()) {
      reasons.push_back("snapshot folder " + real.problem);
    } else {
      const std::string escape = escaping_link(root, real.real);
      if (!escape.empty()) reasons.push_back(escape);
      entry.family = hf_model_type(root, snapshot, reasons);
      entry.size_bytes = hf_weights(root, snapshot, reasons);
    }
    finish(entry, reasons);
  });
  return entry;
}

// refs/<name> files (refs/main, refs/pr/1, ...) by the revision they hold.
std::map<std::string, std::vector<std::string>> hf_refs(const fs::path& root, const fs::path& model) {
  std::map<std::string, std::vector<std::string>> refs;
  const fs::path folder = model / "refs";
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!is_file(*it)) continue;
    const ResolvedPath ref = resolve_inside(root, it->path());
    if (!ref.problem.empty()) continue;
    Text text = read_small_file(ref.real, kMaxRefBytes);
    std::string& revision = text.content;
    while (!revision.empty() && std::isspace(static_cast<unsigned char>(revision.back()))) revision.pop_back();
    if (text.problem.empty() && !revision.empty())
      refs[revision].push_back(it->path().lexically_relative(folder).generic_string());
  }
  return refs;
}

void list_hf_model(const fs::path& root, const fs::path& model, const std::string& repo,
                   std::vector<CatalogEntry>& out) {
  const std::map<std::string, std::vector<std::string>> refs = hf_refs(root, model);
  struct Snapshot {
    CatalogEntry entry;
    fs::file_time_type mtime;
  };
  std::vector<Snapshot> snapshots;
  std::error_code ec;
  for (fs::directory_iterator it(model / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_folder(*it)) continue;
    std::error_code time_error;
    Snapshot s{describe_hf_snapshot(root, repo, it->path()), fs::last_write_time(it->path(), time_error)};
    if (time_error) s.mtime = fs::file_time_type::min();
    if (auto r = refs.find(s.entry.revision); r != refs.end()) s.entry.refs = r->second;
    snapshots.push_back(std::move(s));
  }
  if (snapshots.empty()) {
    CatalogEntry entry;
    entry.source = "hf-cache";
    entry.name = repo;
    entry.path = model.string();
    entry.format = "folder";
    entry.reason = "no snapshot (the download has not finished, or snapshots/ was removed)";
    out.push_back(entry);
    return;
  }
  const auto is_main = [](const Snapshot& s) { return contains(s.entry.refs, "main"); };
  std::sort(snapshots.begin(), snapshots.end(), [&](const Snapshot& a, const Snapshot& b) {
    if (is_main(a) != is_main(b)) return is_main(a);
    if (a.mtime != b.mtime) return a.mtime > b.mtime;
    return a.entry.revision < b.entry.revision;
  });
  for (Snapshot& s : snapshots) out.push_back(std::move(s.entry));
}

// ---- Ollama ----

// registry/namespace/name/tag as Ollama shows it.
std::string ollama_name(const std::string& registry, const std::string& space, const std::string& model,
                        const std::string& tag) {
  std::string prefix;
  if (registry != kOllamaDefaultRegistry) {
    prefix = registry + "/" + space + "/";
  } else if (space != kOllamaDefaultNamespace) {
    prefix = space + "/";
  }
  return prefix + model + ":" + tag;
}

// "sha256:<64 lowercase hex>" -> the blob's file name "sha256-<hex>"; empty otherwise.
std::string blob_file_name(const std::string& digest) {
  const std::string prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.compare(0, prefix.size(), prefix) != 0) return "";
  const bool hex = std::all_of(digest.begin() + prefix.size(), digest.end(),
                               [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  return hex ? "sha256-" + digest.substr(prefix.size()) : "";
}

// The digest and declared size of the manifest's model layer, or why there is none.
struct ModelLayer {
  std::string digest;
  const json* size = nullptr;
  std::string problem;
};
ModelLayer model_layer(const json& manifest) {
  if (!manifest.is_object()) return {"", nullptr, "manifest is not a JSON object"};
  if (!manifest.contains("layers") || !manifest["layers"].is_array())
    return {"", nullptr, "manifest has no \"layers\" array"};
  for (const json& layer : manifest["layers"]) {
    if (!layer.is_object() || layer.value("mediaType", json()) != kOllamaModelMediaType) continue;
    if (!layer.contains("digest") || !layer["digest"].is_string())
      return {"", nullptr, "the model layer has no digest string"};
    return {layer["digest"].get<std::string>(), layer.contains("size") ? &layer["size"] : nullptr, ""};
  }
  return {"", nullptr, std::string("manifest has no model layer (mediaType ") + kOllamaModelMediaType + ")"};
}

// general.architecture from the GGUF header, or why it cannot be read.
std::string gguf_architecture(const fs::path& blob, std::vector<std::string>& reasons) {
  std::shared_ptr<GgufFile> file;
  try {
    file = GgufFile::open(blob.string());
  } catch (const Error& e) {
    reasons.push_back(e.what());
    return "";
  }
  const GgufValue* architecture = file->find("general.architecture");
  if (architecture == nullptr || architecture->type != GgufValueType::STRING) {
    reasons.push_back(blob.string() + ": no general.architecture string");
    return "";
  }
  if (!contains(kSupportedGgufArchitectures, architecture->string))
    reasons.push_back("general.architecture " + shown(architecture->string) + " is not supported (supported: " +
                      join(kSupportedGgufArchitectures, ", ") + ")");
  return architecture->string;
}

// Fills in the blob (in `blobs`), its size and architecture; returns why the
// model cannot be opened.
std::vector<std::string> describe_ollama_manifest(const fs::path& root, const fs::path& blobs,
                                                  const fs::path& manifest, CatalogEntry& entry) {
  const ResolvedPath real = resolve_inside(root, manifest);
  if (!real.problem.empty()) return {"manifest " + real.problem};
  const Text text = read_small_file(real.real, kMaxManifestBytes);
  if (!text.problem.empty()) return {"manifest " + text.problem};
  const json parsed = parse_json_or_discarded(text.content);
  if (parsed.is_discarded()) return {"manifest is not valid JSON"};
  const ModelLayer layer = model_layer(parsed);
  if (!layer.problem.empty()) return {layer.problem};
  const std::string blob_name = blob_file_name(layer.digest);
  if (blob_name.empty()) return {"model layer digest " + shown(layer.digest) + " is not sha256:<64 hex digits>"};

  const fs::path blob = blobs / blob_name;
  entry.path = blob.string();
  const ResolvedPath real_blob = resolve_inside(root, blob);
  if (!real_blob.problem.empty()) return {"blob " + blob_name + " " + real_blob.problem};
  std::vector<std::string> reasons;
  std::error_code ec;
  entry.size_bytes = fs::file_size(real_blob.real, ec);
  if (layer.size != nullptr && layer.size->is_number_unsigned() && layer.size->get<uint64_t>() != entry.size_bytes)
    reasons.push_back("blob " + blob_name + " is " + std::to_string(entry.size_bytes) + " bytes, the manifest says " +
                      std::to_string(layer.size->get<uint64_t>()) + " (incomplete download?)");
  entry.family = gguf_architecture(real_blob.real, reasons);
  return reasons;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string expand_home(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) return env("HOME").empty() ? "" : env("HOME") + path.substr(1);
  return path;
}

// A root to list, canonical; empty when it is absent or not a folder.
fs::path existing_root(const std::string& root) {
  std::error_code ec;
  if (root.empty()) return {};
  const fs::path real = fs::canonical(root, ec);
  return !ec && fs::is_directory(real, ec) ? real : fs::path();
}

void sort_by_name(std::vector<CatalogEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const CatalogEntry& a, const CatalogEntry& b) { return a.name < b.name; });
}

}  // namespace

std::vector<CatalogEntry> list_hf_cache(const std::string& root) {
  std::vector<CatalogEntry> entries;
  const fs::path real_root = existing_root(root);
  if (real_root.empty()) return entries;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string repo = hf_repo_name(it->path().filename().string());
    if (repo.empty() || !is_folder(*it)) continue;
    const ResolvedPath model = resolve_inside(real_root, it->path());
    if (!model.problem.empty()) {
      CatalogEntry entry;
      entry.source = "hf-cache";
      entry.name = repo;
      entry.path = it->path().string();
      entry.format = "folder";
      entry.reason = "model folder " + model.problem;
      entries.push_back(entry);
      continue;
    }
    list_hf_model(real_root, it->path(), repo, entries);
  }
  sort_by_name(entries);
  return entries;
}

std::vector<CatalogEntry> list_ollama(const std::string& root) {
  std::vector<CatalogEntry> entries;
  const fs::path real_root = existing_root(root);
  if (real_root.empty()) return entries;
  const fs::path manifests = fs::path(root) / "manifests";
  const fs::path blobs = fs::path(root) / "blobs";
  std::error_code ec;
  // manifests/<registry>/<namespace>/<name>/<tag>: the tag files sit at depth 3.
  for (fs::recursive_directory_iterator it(manifests, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it.depth() < 3) continue;
    it.disable_recursion_pending();
    if (is_folder(*it)) continue;
    const fs::path relative = it->path().lexically_relative(manifests);
    std::vector<std::string> parts;
    for (const fs::path& part : relative) parts.push_back(part.string());
    if (parts.size() != 4) continue;
    CatalogEntry entry;
    entry.source = "ollama";
    entry.name = ollama_name(parts[0], parts[1], parts[2], parts[3]);
    entry.path = it->path().string();
    entry.format = "gguf";
    describe_safely(entry, [&] { finish(entry, describe_ollama_manifest(real_root, blobs, it->path(), entry)); });
    entries.push_back(entry);
  }
  sort_by_name(entries);
  return entries;
}

std::string default_hf_cache_root() {
  for (const char* variable : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    if (!env(variable).empty()) return expand_home(env(variable));
  }
  if (!env("HF_HOME").empty()) return (fs::path(expand_home(env("HF_HOME"))) / "hub").string();
  if (!env("XDG_CACHE_HOME").empty()) return (fs::path(expand_home(env("XDG_CACHE_HOME"))) / "huggingface" / "hub").string();
  return env("HOME").empty() ? "" : (fs::path(env("HOME")) / ".cache" / "huggingface" / "hub").string();
}

std::string default_ollama_root() {
  if (!env("OLLAMA_MODELS").empty()) return expand_home(env("OLLAMA_MODELS"));
  return env("HOME").empty() ? "" : (fs::path(env("HOME")) / ".ollama" / "models").string();
}

}  // namespace glassbox
