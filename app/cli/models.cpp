// glassbox-cli models: the models already on this machine (Hugging Face cache, Ollama).
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/cli.h"
#include "core/catalog.h"
#include "core/memory_budget.h"

namespace glassbox::cli {
namespace {

// A commit hash is 40 hex digits; 12 tell snapshots apart in a table.
constexpr size_t kShownRevisionChars = 12;

std::string display_name(const CatalogEntry& e) {
  if (e.revision.empty()) return e.name;
  std::string name = e.name + "@" + e.revision.substr(0, kShownRevisionChars);
  for (const std::string& ref : e.refs) name += " " + ref;
  return name;
}

void print_table(const std::vector<CatalogEntry>& entries) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "SOURCE", "PATH", "FAMILY", "SIZE", "SUPPORTED"}};
  for (const CatalogEntry& e : entries)
    rows.push_back({display_name(e), e.source, e.path, e.family.empty() ? "-" : e.family, decimal_size(static_cast<int64_t>(e.size_bytes)),
                    e.supported ? "yes" : "no: " + e.reason});
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      line += last ? row[c] : row[c] + std::string(widths[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

nlohmann::json to_json(const CatalogEntry& e) {
  return {{"source", e.source},     {"name", e.name},       {"revision", e.revision},
          {"refs", e.refs},         {"path", e.path},       {"format", e.format},
          {"family", e.family},     {"size_bytes", e.size_bytes}, {"supported", e.supported},
          {"reason", e.reason}};
}

int models(Args& args) {
  const std::string hf_root = args.get("hf-cache", default_hf_cache_root());
  const std::string ollama_root = args.get("ollama", default_ollama_root());
  const bool as_json = args.flag("json");
  args.finish();

  std::vector<CatalogEntry> entries = list_hf_cache(hf_root);
  const std::vector<CatalogEntry> ollama = list_ollama(ollama_root);
  entries.insert(entries.end(), ollama.begin(), ollama.end());
  if (as_json) {
    nlohmann::json list = nlohmann::json::array();
    for (const CatalogEntry& e : entries) list.push_back(to_json(e));
    std::cout << nlohmann::json{{"hf_cache", hf_root}, {"ollama", ollama_root}, {"models", list}}.dump(2) << "\n";
  } else if (entries.empty()) {
    std::cout << "no models in the Hugging Face cache (" << hf_root << ") or in Ollama (" << ollama_root << ")\n";
  } else {
    print_table(entries);
  }
  return 0;
}

std::string help(Args&) {
  return "usage: glassbox-cli models [--hf-cache DIR] [--ollama DIR] [--json]\n\n"
         "Lists the models in the Hugging Face hub cache and in Ollama's model store, one line\n"
         "per snapshot or tag, with the path to give --model and, when it cannot be loaded, why.\n\n"
         "  --hf-cache DIR  the hub cache (default: $HF_HUB_CACHE, $HF_HOME/hub or\n"
         "                  ~/.cache/huggingface/hub; currently " + default_hf_cache_root() + ")\n"
         "  --ollama DIR    Ollama's models folder (default: $OLLAMA_MODELS or ~/.ollama/models;\n"
         "                  currently " + default_ollama_root() + ")\n"
         "                  give '' to leave either source out\n"
         "  --json          one JSON object: the roots and every entry with size in bytes\n";
}

const bool registered =
    register_command("models", "[--hf-cache DIR] [--ollama DIR] [--json]", &models, &help);

}  // namespace
}  // namespace glassbox::cli
