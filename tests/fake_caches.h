#pragma once
// A fake Hugging Face hub cache and a fake Ollama model store, laid out as the
// real ones are (snapshot files are relative links into the model's blobs/;
// manifests name sha256 blobs), holding one model for every case the catalog
// must cope with. Shared by the catalog's tests and the `models` CLI tests.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "formats/test_gguf_builder.h"
#include "test_util.h"

namespace glassbox::test {

// The gpt2 model's snapshots: main is the oldest, yet listed first; then newest first.
inline const std::string kGpt2MainRevision(40, 'a');
inline const std::string kGpt2NewerRevision(40, 'b');
inline const std::string kGpt2OlderRevision(40, 'c');
// A digest of the right form whose blob is absent.
inline const std::string kMissingBlobDigest = "sha256:" + std::string(64, 'e');

struct FakeCacheSources {
  std::string gpt2_folder;  // the gpt2 snapshot's files; default: a config.json and fake weights
  std::string llama_gguf;   // the Ollama llama blob; default: a GGUF header with general.architecture llama
};

struct FakeCaches {
  std::string hf;       // the hub cache root
  std::string ollama;   // the Ollama models root
  std::string outside;  // a folder beside both roots, which links must not reach
  uint64_t gpt2_weights_bytes = 0, pickle_bytes = 0, sharded_bytes = 0, llama_blob_bytes = 0;
  std::string llama_blob;  // OLLAMA/blobs/sha256-<hex> of llama:latest
};

namespace fake_cache_detail {
namespace fs = std::filesystem;

inline void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A content-derived name of `hex_digits` hex digits. Neither the catalog nor
// the loaders verify hashes, so it only has to look like one.
inline std::string fake_hash(const std::string& content, size_t hex_digits) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  for (size_t seed = 0; out.size() < hex_digits; ++seed) {
    size_t h = std::hash<std::string>{}(std::to_string(seed) + content);
    for (int i = 0; i < 8 && out.size() < hex_digits; ++i, h >>= 4) out += digits[h & 15];
  }
  return out;
}

// MODEL/snapshots/REVISION/<name> -> ../../blobs/<hash>, as huggingface_hub writes them.
inline void hf_snapshot(const fs::path& model, const std::string& revision,
                        const std::map<std::string, std::string>& files, std::chrono::hours age) {
  const fs::path snapshot = model / "snapshots" / revision;
  fs::create_directories(snapshot);
  for (const auto& [name, content] : files) {
    const std::string blob = fake_hash(content, 40);
    write_file(model / "blobs" / blob, content);
    fs::create_symlink(fs::path("../../blobs") / blob, snapshot / name);
  }
  fs::last_write_time(snapshot, fs::file_time_type::clock::now() - age);
}

inline std::map<std::string, std::string> folder_files(const std::string& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files[entry.path().filename().string()] = slurp(entry.path().string());
  }
  return files;
}

// ROOT/blobs/sha256-<hex>; returns the digest "sha256:<hex>".
inline std::string ollama_blob(const fs::path& root, const std::string& content) {
  const std::string hex = fake_hash(content, 64);
  write_file(root / "blobs" / ("sha256-" + hex), content);
  return "sha256:" + hex;
}

inline std::string layer(const std::string& media_type, const std::string& digest, uint64_t size) {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" + std::to_string(size) + "}";
}

// A manifest as Ollama writes it: config, model and template layers.
inline std::string manifest(const fs::path& root, const std::string& model_digest, uint64_t model_size) {
  const std::string config = R"({"model_format":"gguf","model_family":"llama"})";
  const std::string config_digest = ollama_blob(root, config);
  const std::string prompt_template = "{{ .Prompt }}";
  const std::string template_digest = ollama_blob(root, prompt_template);
  return R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":)" +
         layer("application/vnd.docker.container.image.v1+json", config_digest, config.size()) + R"(,"layers":[)" +
         layer("application/vnd.ollama.image.model", model_digest, model_size) + "," +
         layer("application/vnd.ollama.image.template", template_digest, prompt_template.size()) + "]}";
}

inline std::string gguf_with_architecture(const std::string& architecture) {
  GgufBuilder gguf;
  gguf.kv_string("general.architecture", architecture);
  gguf.kv_string("general.name", "fake " + architecture);
  return gguf.bytes();
}

}  // namespace fake_cache_detail

// Builds both layouts under `dir`:
//   HF:     openai-community/gpt2 (3 snapshots, safetensors), EleutherAI/pythia-pickle
//           (pytorch_model.bin only), acme/mamba-x (model_type mamba), acme/sharded-llama
//           (two shards), acme/no-config, evil/escape (config.json links outside the
//           cache), datasets--acme--data (not a model: skipped)
//   Ollama: llama:latest (valid), mamba:latest (unsupported architecture), bad-digest:latest,
//           missing-blob:7b, someone/not-json:latest, hf.co/evil/escape:Q4 (the blob links
//           outside the store)
inline FakeCaches make_fake_caches(const TempDir& dir, const FakeCacheSources& sources = {}) {
  namespace fs = std::filesystem;
  using namespace fake_cache_detail;
  using std::chrono::hours;
  FakeCaches caches;
  caches.hf = dir.file("hub");
  caches.ollama = dir.file("ollama");
  caches.outside = dir.file("outside");
  write_file(fs::path(caches.outside) / "config.json", R"({"model_type":"gpt2"})");
  write_file(fs::path(caches.outside) / "model.gguf", gguf_with_architecture("llama"));

  const fs::path hf(caches.hf);
  std::map<std::string, std::string> gpt2 = {{"config.json", R"({"model_type":"gpt2","n_layer":2})"},
                                             {"model.safetensors", std::string(1000, 'w')}};
  if (!sources.gpt2_folder.empty()) gpt2 = folder_files(sources.gpt2_folder);
  caches.gpt2_weights_bytes = gpt2.at("model.safetensors").size();
  const fs::path gpt2_model = hf / "models--openai-community--gpt2";
  hf_snapshot(gpt2_model, kGpt2MainRevision, gpt2, hours(30));
  hf_snapshot(gpt2_model, kGpt2OlderRevision, gpt2, hours(20));
  hf_snapshot(gpt2_model, kGpt2NewerRevision, gpt2, hours(10));
  write_file(gpt2_model / "refs" / "main", kGpt2MainRevision);

  const std::string pickle(700, 'p');
  caches.pickle_bytes = pickle.size();
  hf_snapshot(hf / "models--EleutherAI--pythia-pickle", std::string(40, '1'),
              {{"config.json", R"({"model_type":"gpt_neox"})"}, {"pytorch_model.bin", pickle}}, hours(1));
  hf_snapshot(hf / "models--acme--mamba-x", std::string(40, '2'),
              {{"config.json", R"({"model_type":"mamba"})"}, {"model.safetensors", "weights"}}, hours(1));
  const std::string shard1(300, '1'), shard2(200, '2');
  caches.sharded_bytes = shard1.size() + shard2.size();
  hf_snapshot(hf / "models--acme--sharded-llama", std::string(40, '3'),
              {{"config.json", R"({"model_type":"llama"})"},
               {"model.safetensors.index.json",
                R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors",)"
                R"("c":"model-00002-of-00002.safetensors"}})"},
               {"model-00001-of-00002.safetensors", shard1},
               {"model-00002-of-00002.safetensors", shard2}},
              hours(1));
  hf_snapshot(hf / "models--acme--no-config", std::string(40, '4'), {{"model.safetensors", "weights"}}, hours(1));
  const fs::path escape = hf / "models--evil--escape";
  hf_snapshot(escape, std::string(40, '5'), {{"model.safetensors", "weights"}}, hours(1));
  fs::create_symlink(fs::path("../../../../outside/config.json"), escape / "snapshots" / std::string(40, '5') / "config.json");
  hf_snapshot(hf / "datasets--acme--data", std::string(40, '6'), {{"data.csv", "a,b\n"}}, hours(1));

  const fs::path ollama(caches.ollama);
  const fs::path library = ollama / "manifests" / "registry.ollama.ai" / "library";
  const std::string llama = sources.llama_gguf.empty() ? gguf_with_architecture("llama") : slurp(sources.llama_gguf);
  caches.llama_blob_bytes = llama.size();
  const std::string llama_digest = ollama_blob(ollama, llama);
  caches.llama_blob = (ollama / "blobs" / ("sha256-" + llama_digest.substr(7))).string();
  write_file(library / "llama" / "latest", manifest(ollama, llama_digest, llama.size()));
  const std::string mamba = gguf_with_architecture("mamba");
  write_file(library / "mamba" / "latest", manifest(ollama, ollama_blob(ollama, mamba), mamba.size()));
  write_file(library / "bad-digest" / "latest", manifest(ollama, "sha256:../../outside/model.gguf", 10));
  write_file(library / "missing-blob" / "7b", manifest(ollama, kMissingBlobDigest, 10));
  write_file(ollama / "manifests" / "registry.ollama.ai" / "someone" / "not-json" / "latest", "{\"layers\": [");
  const std::string escape_hex = std::string(64, 'f');
  fs::create_directories(ollama / "blobs");
  fs::create_symlink(fs::path("../../outside/model.gguf"), ollama / "blobs" / ("sha256-" + escape_hex));
  write_file(ollama / "manifests" / "hf.co" / "evil" / "escape" / "Q4",
             manifest(ollama, "sha256:" + escape_hex, fs::file_size(fs::path(caches.outside) / "model.gguf")));
  return caches;
}

}  // namespace glassbox::test
