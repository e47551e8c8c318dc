#pragma once
// The models already on this machine: the Hugging Face hub cache and Ollama's
// model store, listed without loading anything (config.json, manifests and
// GGUF headers only). No torch here, so the GUI can list before it loads.
//
// Listing never throws for what it finds on disk: a malformed manifest, a
// missing blob, a digest that is not sha256:<64 hex>, a link that resolves
// outside the root gives an entry with supported = false and the reason, or is
// skipped when there is nothing to name. An absent root lists nothing.
#include <cstdint>
#include <string>
#include <vector>

namespace glassbox {

struct CatalogEntry {
  std::string source;    // "hf-cache" or "ollama"
  std::string name;      // Hugging Face "org/name" (or "name"); Ollama "name:tag"
  std::string revision;  // Hugging Face: the snapshot's commit; Ollama: empty
  std::vector<std::string> refs;  // Hugging Face: the refs (e.g. "main") naming this snapshot
  std::string path;      // what load_model opens: the snapshot folder, or the GGUF blob
  std::string format;    // "folder" or "gguf"
  std::string family;    // config.json's model_type, or GGUF general.architecture; empty when unread
  uint64_t size_bytes = 0;  // the weight files (links followed)
  bool supported = false;
  std::string reason;    // why not, when !supported
};

// Every snapshot of every model in a hub cache (the folder holding
// models--org--name/), sorted by name; within a model the snapshot refs/main
// names first, then newest (by mtime) first.
std::vector<CatalogEntry> list_hf_cache(const std::string& root);

// Every manifest under ROOT/manifests/<registry>/<namespace>/<name>/<tag>, its
// model layer resolved to ROOT/blobs/sha256-<hex>, sorted by name. Models of
// the default library (registry.ollama.ai/library) are named without the prefix.
std::vector<CatalogEntry> list_ollama(const std::string& root);

// As huggingface_hub resolves it: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE
// (its older name), else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub. Empty variables count as unset; "~/" is expanded.
std::string default_hf_cache_root();
// $OLLAMA_MODELS, else ~/.ollama/models.
std::string default_ollama_root();

}  // namespace glassbox
