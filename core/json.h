#pragma once
// JSON files with errors that name the file and the field.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace glassbox {

// Parses a whole file; throws Error "<path>: ..." if unreadable or not JSON.
nlohmann::json read_json_file(const std::string& path);

// Typed field access for config files. `file` names the file in errors.
int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& file);
int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& file, int64_t fallback);
double json_number(const nlohmann::json& j, const std::string& key, const std::string& file);
double json_number(const nlohmann::json& j, const std::string& key, const std::string& file, double fallback);
bool json_bool(const nlohmann::json& j, const std::string& key, const std::string& file, bool fallback);
std::string json_string(const nlohmann::json& j, const std::string& key, const std::string& file);
std::string json_string(const nlohmann::json& j, const std::string& key, const std::string& file,
                        const std::string& fallback);

}  // namespace glassbox
