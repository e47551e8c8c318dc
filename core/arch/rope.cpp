#include "core/arch/rope.h"

namespace glassbox {

double read_rope(const ModelFolder& f, const std::string& theta_key, double default_theta, TransformerConfig& c) {
  c.rope_theta = f.number(theta_key, default_theta);
  double partial = 1.0;
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    auto it = f.config.find(key);
    if (it == f.config.end() || it->is_null()) continue;
    const auto& r = *it;
    const std::string where = std::string(key) + ".";
    if (!r.is_object()) f.config_error(std::string(key) + " must be an object");
    c.rope_theta = json_number(r, "rope_theta", f.config_path, c.rope_theta);
    partial = json_number(r, "partial_rotary_factor", f.config_path, partial);
    std::string type = json_string(r, "rope_type", f.config_path, json_string(r, "type", f.config_path, "default"));
    if (type == "default") continue;
    if (type != "llama3") {
      f.config_error(std::string(key) + ": rope type '" + type + "' is not supported (default, llama3)");
    }
    c.rope_llama3_factor = json_number(r, "factor", f.config_path);
    c.rope_low_freq_factor = json_number(r, "low_freq_factor", f.config_path, 1.0);
    c.rope_high_freq_factor = json_number(r, "high_freq_factor", f.config_path, 4.0);
    c.rope_original_max_pos = json_int(r, "original_max_position_embeddings", f.config_path, 8192);
    if (c.rope_llama3_factor <= 0 || c.rope_high_freq_factor <= c.rope_low_freq_factor) {
      f.config_error(std::string(key) + ": llama3 scaling needs factor > 0 and high_freq_factor > low_freq_factor");
    }
  }
  return partial;
}

}  // namespace glassbox
