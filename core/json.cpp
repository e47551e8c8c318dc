#include "core/json.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace glassbox {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number past double (1e605)
    fail(path, std::string("not valid JSON (") + e.what() + ")");
  }
}

namespace {
const nlohmann::json* field(const nlohmann::json& j, const std::string& key, const std::string& file,
                            bool required) {
  if (!j.is_object()) fail(file, "expected a JSON object");
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) fail(file, "missing field '" + key + "'");
    return nullptr;
  }
  return &*it;
}
}  // namespace

int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& file) {
  const auto* v = field(j, key, file, true);
  if (!v->is_number_integer()) fail(file, "field '" + key + "' must be an integer");
  return v->get<int64_t>();
}

int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& file, int64_t fallback) {
  return field(j, key, file, false) ? json_int(j, key, file) : fallback;
}

double json_number(const nlohmann::json& j, const std::string& key, const std::string& file) {
  const auto* v = field(j, key, file, true);
  if (!v->is_number()) fail(file, "field '" + key + "' must be a number");
  return v->get<double>();
}

double json_number(const nlohmann::json& j, const std::string& key, const std::string& file, double fallback) {
  return field(j, key, file, false) ? json_number(j, key, file) : fallback;
}

bool json_bool(const nlohmann::json& j, const std::string& key, const std::string& file, bool fallback) {
  const auto* v = field(j, key, file, false);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(file, "field '" + key + "' must be true or false");
  return v->get<bool>();
}

std::string json_string(const nlohmann::json& j, const std::string& key, const std::string& file) {
  const auto* v = field(j, key, file, true);
  if (!v->is_string()) fail(file, "field '" + key + "' must be a string");
  return v->get<std::string>();
}

std::string json_string(const nlohmann::json& j, const std::string& key, const std::string& file,
                        const std::string& fallback) {
  return field(j, key, file, false) ? json_string(j, key, file) : fallback;
}

}  // namespace glassbox
