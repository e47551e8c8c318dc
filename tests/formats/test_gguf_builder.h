#pragma once
// Writes GGUF files field by field for the tests: metadata of any type, tensor
// infos and data, each part open to being broken on purpose.
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::test {

inline void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i));
}
inline void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
inline void put_string(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

struct GgufBuilder {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::optional<uint64_t> tensor_count, kv_count;  // default: as many as added
  std::string kvs, infos;
  uint64_t n_kvs = 0, n_tensors = 0;
  uint64_t alignment = 32;
  uint64_t data_bytes = 0;  // zero bytes after the aligned header

  void kv_string(const std::string& key, const std::string& value) {
    put_string(kvs, key);
    put_u32(kvs, 8);
    put_string(kvs, value);
    ++n_kvs;
  }
  void kv_u32(const std::string& key, uint32_t value) {
    put_string(kvs, key);
    put_u32(kvs, 4);
    put_u32(kvs, value);
    ++n_kvs;
  }
  void kv_u64(const std::string& key, uint64_t value) {
    put_string(kvs, key);
    put_u32(kvs, 10);
    put_u64(kvs, value);
    ++n_kvs;
  }
  void kv_strings(const std::string& key, const std::vector<std::string>& values) {
    put_string(kvs, key);
    put_u32(kvs, 9);
    put_u32(kvs, 8);
    put_u64(kvs, values.size());
    for (const std::string& v : values) put_string(kvs, v);
    ++n_kvs;
  }
  void kv_int32s(const std::string& key, const std::vector<int32_t>& values) {
    put_string(kvs, key);
    put_u32(kvs, 9);
    put_u32(kvs, 5);
    put_u64(kvs, values.size());
    for (int32_t v : values) put_u32(kvs, static_cast<uint32_t>(v));
    ++n_kvs;
  }
  void tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset) {
    put_string(infos, name);
    put_u32(infos, static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) put_u64(infos, d);
    put_u32(infos, type);
    put_u64(infos, offset);
    ++n_tensors;
  }
  // A tensor of `nbytes` zero bytes after those added so far, at the next aligned offset.
  void tensor_data(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t nbytes) {
    tensor(name, ne, type, data_bytes);
    data_bytes += (nbytes + alignment - 1) / alignment * alignment;
  }
  std::string bytes() const {
    std::string out = magic;
    put_u32(out, version);
    put_u64(out, tensor_count.value_or(n_tensors));
    put_u64(out, kv_count.value_or(n_kvs));
    out += kvs + infos;
    out.append((alignment - out.size() % alignment) % alignment, '\0');
    out.append(data_bytes, '\0');
    return out;
  }
  void write(const std::string& path) const { std::ofstream(path, std::ios::binary) << bytes(); }
};

}  // namespace glassbox::test
