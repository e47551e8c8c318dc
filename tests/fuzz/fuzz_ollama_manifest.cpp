// Any byte string as an Ollama manifest (manifests/<registry>/<namespace>/
// <name>/<tag>) must list as one entry, supported or saying why not; listing
// never throws. The store holds one blob, a small llama GGUF, whose digest
// the seeds name.
#include "core/catalog.h"
#include "tests/formats/test_gguf_builder.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

namespace {

const std::string kBlob = "blobs/sha256-" + std::string(64, 'a');

std::string small_llama_gguf() {
  test::GgufBuilder builder;
  builder.kv_string("general.architecture", "llama");
  return builder.bytes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string blob = fuzz::write_scratch_file("ollama/" + kBlob, small_llama_gguf());
  fuzz::write_scratch_file("ollama/manifests/registry.ollama.ai/library/model/latest", fuzz::as_bytes(data, size));
  const std::vector<CatalogEntry> entries = list_ollama((fuzz::scratch_dir() / "ollama").string());
  fuzz::require(entries.size() == 1, "one manifest lists as one entry");
  fuzz::require(entries[0].supported || !entries[0].reason.empty(), "an unsupported entry says why");
  fuzz::require(!entries[0].supported || entries[0].path == blob, "a supported entry opens the blob");
  return 0;
}
