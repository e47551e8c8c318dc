// config.json, as the two torch-free readers of it take it: the catalog
// listing a Hugging Face cache snapshot (which never throws: a bad config
// gives an entry that says why it is not supported), and the typed field
// access the model families read their settings through (a value of the
// wrong type or range is an Error naming the file and the field).
#include "core/catalog.h"
#include "core/json.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

namespace {

// Every field of an object (and of the objects inside it, as rope_scaling is)
// through every typed accessor.
void read_fields(const nlohmann::json& object, const std::string& path) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    fuzz::parse_or_reject([&] { (void)json_int(object, key, path, 0); });
    fuzz::parse_or_reject([&] { (void)json_number(object, key, path, 0.0); });
    fuzz::parse_or_reject([&] { (void)json_bool(object, key, path, false); });
    fuzz::parse_or_reject([&] { (void)json_string(object, key, path, ""); });
    if (item.value().is_object()) read_fields(item.value(), path);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string root = (fuzz::scratch_dir() / "hub").string();
  const std::string path =
      fuzz::write_scratch_file("hub/models--org--model/snapshots/0123abcd/config.json", fuzz::as_bytes(data, size));
  const std::vector<CatalogEntry> entries = list_hf_cache(root);
  fuzz::require(entries.size() == 1, "one snapshot lists as one entry");
  fuzz::require(entries[0].supported || !entries[0].reason.empty(), "an unsupported entry says why");
  fuzz::parse_or_reject([&] {
    const nlohmann::json config = read_json_file(path);
    if (config.is_object()) read_fields(config, path);
  });
  return 0;
}
