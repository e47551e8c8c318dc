#include "core/catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "fake_caches.h"
#include "test_util.h"

namespace glassbox {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

std::vector<const CatalogEntry*> named(const std::vector<CatalogEntry>& entries, const std::string& name) {
  std::vector<const CatalogEntry*> out;
  for (const CatalogEntry& e : entries) {
    if (e.name == name) out.push_back(&e);
  }
  return out;
}

// The one entry called `name` (a reference into `entries`); fails the test when
// there is not exactly one.
const CatalogEntry& only(const std::vector<CatalogEntry>& entries, const std::string& name) {
  static const CatalogEntry none;
  const auto found = named(entries, name);
  EXPECT_EQ(found.size(), 1u) << name;
  return found.size() == 1 ? *found[0] : none;
}

bool mentions(const CatalogEntry& e, const std::string& needle) { return e.reason.find(needle) != std::string::npos; }

TEST(Catalog, AbsentRootsListNothing) {
  TempDir dir;
  EXPECT_TRUE(list_hf_cache(dir.file("absent")).empty());
  EXPECT_TRUE(list_ollama(dir.file("absent")).empty());
  EXPECT_TRUE(list_hf_cache("").empty());
  EXPECT_TRUE(list_ollama("").empty());
  test::fake_cache_detail::write_file(dir.file("a-file"), "not a folder");
  EXPECT_TRUE(list_hf_cache(dir.file("a-file")).empty());
  EXPECT_TRUE(list_ollama(dir.file("a-file")).empty());
}

TEST(Catalog, HfSnapshotsMainFirstThenNewest) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_hf_cache(caches.hf);
  const auto gpt2 = named(entries, "openai-community/gpt2");
  ASSERT_EQ(gpt2.size(), 3u);
  EXPECT_EQ(gpt2[0]->revision, test::kGpt2MainRevision);
  EXPECT_EQ(gpt2[0]->refs, std::vector<std::string>{"main"});
  EXPECT_EQ(gpt2[1]->revision, test::kGpt2NewerRevision);
  EXPECT_EQ(gpt2[2]->revision, test::kGpt2OlderRevision);
  EXPECT_TRUE(gpt2[1]->refs.empty());
  for (const CatalogEntry* e : gpt2) {
    EXPECT_TRUE(e->supported) << e->reason;
    EXPECT_EQ(e->reason, "");
    EXPECT_EQ(e->source, "hf-cache");
    EXPECT_EQ(e->format, "folder");
    EXPECT_EQ(e->family, "gpt2");
    EXPECT_EQ(e->size_bytes, caches.gpt2_weights_bytes);
    EXPECT_EQ(e->path, caches.hf + "/models--openai-community--gpt2/snapshots/" + e->revision);
  }
}

TEST(Catalog, HfShardsAddUp) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_hf_cache(caches.hf);
  const CatalogEntry& sharded = only(entries, "acme/sharded-llama");
  EXPECT_TRUE(sharded.supported) << sharded.reason;
  EXPECT_EQ(sharded.family, "llama");
  EXPECT_EQ(sharded.size_bytes, caches.sharded_bytes);
}

TEST(Catalog, HfUnsupportedModelsSayWhy) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_hf_cache(caches.hf);

  const CatalogEntry& pickle = only(entries, "EleutherAI/pythia-pickle");
  EXPECT_FALSE(pickle.supported);
  EXPECT_TRUE(mentions(pickle, "pytorch_model.bin")) << pickle.reason;
  EXPECT_TRUE(mentions(pickle, "pickle weights are not loaded")) << pickle.reason;
  EXPECT_EQ(pickle.family, "gpt_neox");
  EXPECT_EQ(pickle.size_bytes, caches.pickle_bytes);

  const CatalogEntry& mamba = only(entries, "acme/mamba-x");
  EXPECT_FALSE(mamba.supported);
  EXPECT_EQ(mamba.family, "mamba");
  EXPECT_TRUE(mentions(mamba, "model_type 'mamba' is not supported (supported: gpt2, ")) << mamba.reason;

  const CatalogEntry& no_config = only(entries, "acme/no-config");
  EXPECT_FALSE(no_config.supported);
  EXPECT_EQ(no_config.reason, "no config.json");
}

TEST(Catalog, HfLinksOutsideTheCacheAreRefused) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_hf_cache(caches.hf);
  const CatalogEntry& escape = only(entries, "evil/escape");
  EXPECT_FALSE(escape.supported);
  EXPECT_TRUE(mentions(escape, "config.json resolves outside")) << escape.reason;
  // What it points at is not read: the family stays unknown.
  EXPECT_EQ(escape.family, "");
}

TEST(Catalog, HfSkipsWhatIsNotAModel) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  test::fake_cache_detail::write_file(caches.hf + "/version.txt", "1");
  fs::create_directories(caches.hf + "/models--");
  const auto entries = list_hf_cache(caches.hf);
  EXPECT_EQ(entries.size(), 8u);  // 3 gpt2 snapshots and 5 other models
  EXPECT_TRUE(named(entries, "acme/data").empty());
}

TEST(Catalog, HfModelWithoutSnapshotsSaysSo) {
  TempDir dir;
  fs::create_directories(dir.file("hub/models--acme--partial/blobs"));
  const auto entries = list_hf_cache(dir.file("hub"));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "acme/partial");
  EXPECT_FALSE(entries[0].supported);
  EXPECT_TRUE(mentions(entries[0], "no snapshot")) << entries[0].reason;
}

TEST(Catalog, OllamaModelLayerIsTheGgufBlob) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_ollama(caches.ollama);
  const CatalogEntry& llama = only(entries, "llama:latest");
  EXPECT_TRUE(llama.supported) << llama.reason;
  EXPECT_EQ(llama.source, "ollama");
  EXPECT_EQ(llama.format, "gguf");
  EXPECT_EQ(llama.family, "llama");
  EXPECT_EQ(llama.path, caches.llama_blob);
  EXPECT_EQ(llama.size_bytes, caches.llama_blob_bytes);
  EXPECT_EQ(llama.revision, "");
}

TEST(Catalog, OllamaNamesCarryTheirNamespaceAndRegistry) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  std::vector<std::string> names;
  for (const CatalogEntry& e : list_ollama(caches.ollama)) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bad-digest:latest", "hf.co/evil/escape:Q4", "llama:latest",
                                             "mamba:latest", "missing-blob:7b", "someone/not-json:latest"}));
}

TEST(Catalog, OllamaBrokenManifestsSayWhy) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  const auto entries = list_ollama(caches.ollama);

  const CatalogEntry& mamba = only(entries, "mamba:latest");
  EXPECT_FALSE(mamba.supported);
  EXPECT_EQ(mamba.family, "mamba");
  EXPECT_TRUE(mentions(mamba, "general.architecture 'mamba' is not supported")) << mamba.reason;

  const CatalogEntry& bad_digest = only(entries, "bad-digest:latest");
  EXPECT_FALSE(bad_digest.supported);
  EXPECT_TRUE(mentions(bad_digest, "'sha256:../../outside/model.gguf' is not sha256:<64 hex digits>"))
      << bad_digest.reason;

  const CatalogEntry& missing = only(entries, "missing-blob:7b");
  EXPECT_FALSE(missing.supported);
  EXPECT_EQ(missing.reason, "blob sha256-" + std::string(64, 'e') + " is missing");

  const CatalogEntry& not_json = only(entries, "someone/not-json:latest");
  EXPECT_FALSE(not_json.supported);
  EXPECT_EQ(not_json.reason, "manifest is not valid JSON");

  const CatalogEntry& escape = only(entries, "hf.co/evil/escape:Q4");
  EXPECT_FALSE(escape.supported);
  EXPECT_TRUE(mentions(escape, "resolves outside")) << escape.reason;
  EXPECT_EQ(escape.family, "");
}

TEST(Catalog, OllamaManifestOddities) {
  TempDir dir;
  const test::FakeCaches caches = test::make_fake_caches(dir);
  using test::fake_cache_detail::write_file;
  const fs::path root(caches.ollama);
  const fs::path library = root / "manifests" / "registry.ollama.ai" / "library";
  write_file(library / "array" / "latest", "[1, 2]");
  write_file(library / "no-model-layer" / "latest",
             R"({"layers":[{"mediaType":"application/vnd.ollama.image.license","digest":"x"}]})");
  write_file(library / "digest-number" / "latest",
             R"({"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":7}]})");
  const std::string llama_digest = "sha256:" + fs::path(caches.llama_blob).filename().string().substr(7);
  write_file(library / "truncated" / "latest",
             test::fake_cache_detail::manifest(root, llama_digest, caches.llama_blob_bytes + 1));
  const std::string not_gguf = "plain text";
  write_file(library / "not-gguf" / "latest",
             test::fake_cache_detail::manifest(root, test::fake_cache_detail::ollama_blob(root, not_gguf), not_gguf.size()));
  // Manifests sit exactly at depth 4; a stray file higher up is not one.
  write_file(root / "manifests" / "registry.ollama.ai" / "README", "stray");

  const auto entries = list_ollama(caches.ollama);
  EXPECT_EQ(entries.size(), 11u);
  EXPECT_EQ(only(entries, "array:latest").reason, "manifest is not a JSON object");
  EXPECT_TRUE(mentions(only(entries, "no-model-layer:latest"), "manifest has no model layer"));
  EXPECT_EQ(only(entries, "digest-number:latest").reason, "the model layer has no digest string");
  const CatalogEntry& truncated = only(entries, "truncated:latest");
  EXPECT_FALSE(truncated.supported);
  EXPECT_TRUE(mentions(truncated, "incomplete download")) << truncated.reason;
  EXPECT_EQ(truncated.family, "llama");
  const CatalogEntry& text = only(entries, "not-gguf:latest");
  EXPECT_FALSE(text.supported);
  EXPECT_TRUE(mentions(text, "not a GGUF file")) << text.reason;
}

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& value) {
    if (value) {
      setenv(name_, value->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Catalog, DefaultHfRootFollowsHuggingfaceHub) {
  ScopedEnv home("HOME", "/home/r"), hub("HF_HUB_CACHE", std::nullopt), legacy("HUGGINGFACE_HUB_CACHE", std::nullopt),
      hf_home("HF_HOME", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt);
  EXPECT_EQ(default_hf_cache_root(), "/home/r/.cache/huggingface/hub");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(default_hf_cache_root(), "/xdg/huggingface/hub");
  setenv("HF_HOME", "~/hf", 1);
  EXPECT_EQ(default_hf_cache_root(), "/home/r/hf/hub");
  setenv("HUGGINGFACE_HUB_CACHE", "/legacy", 1);
  EXPECT_EQ(default_hf_cache_root(), "/legacy");
  setenv("HF_HUB_CACHE", "/hub", 1);
  EXPECT_EQ(default_hf_cache_root(), "/hub");
  setenv("HF_HUB_CACHE", "", 1);  // empty counts as unset
  EXPECT_EQ(default_hf_cache_root(), "/legacy");
}

TEST(Catalog, DefaultOllamaRoot) {
  ScopedEnv home("HOME", "/home/r"), models("OLLAMA_MODELS", std::nullopt);
  EXPECT_EQ(default_ollama_root(), "/home/r/.ollama/models");
  setenv("OLLAMA_MODELS", "/srv/ollama", 1);
  EXPECT_EQ(default_ollama_root(), "/srv/ollama");
}

}  // namespace
}  // namespace glassbox
