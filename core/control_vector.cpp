#include "core/control_vector.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/gguf.h"

namespace glassbox {

namespace {

constexpr uint32_t kGgufVersion = 3;
constexpr uint64_t kAlignment = 32;  // GGUF's default; general.alignment may change it, we never do
constexpr const char* kArchitecture = "controlvector";
constexpr const char* kDirectionPrefix = "direction.";

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

void put_string(std::string& out, const std::string& s) {
  put_le(out, s.size(), 8);
  out += s;
}

void pad_to_alignment(std::string& out) { out.append((kAlignment - out.size() % kAlignment) % kAlignment, '\0'); }

uint64_t padded(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

}  // namespace

int direction_layer(const std::string& tensor_name) {
  const size_t prefix = std::strlen(kDirectionPrefix);
  if (tensor_name.compare(0, prefix, kDirectionPrefix) != 0) return -1;
  const std::string digits = tensor_name.substr(prefix);
  if (digits.empty() || digits.size() > 9 || (digits[0] == '0' && digits.size() > 1) ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoi(digits);
}

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  put_string(metadata_, key);
  put_le(metadata_, static_cast<uint32_t>(GgufValueType::STRING), 4);
  put_string(metadata_, value);
  ++metadata_count_;
}

void GgufWriter::add_int32(const std::string& key, int32_t value) {
  put_string(metadata_, key);
  put_le(metadata_, static_cast<uint32_t>(GgufValueType::INT32), 4);
  put_le(metadata_, static_cast<uint32_t>(value), 4);
  ++metadata_count_;
}

void GgufWriter::add_f32_tensor(const std::string& name, std::vector<float> values) {
  tensors_.emplace_back(name, std::move(values));
}

std::string GgufWriter::bytes() const {
  std::string out = "GGUF";
  put_le(out, kGgufVersion, 4);
  put_le(out, tensors_.size(), 8);
  put_le(out, metadata_count_, 8);
  out += metadata_;
  uint64_t offset = 0;
  for (const auto& [name, values] : tensors_) {
    put_string(out, name);
    put_le(out, 1, 4);  // dimensions
    put_le(out, values.size(), 8);
    put_le(out, static_cast<uint32_t>(GgmlType::F32), 4);
    put_le(out, offset, 8);
    offset += padded(values.size() * sizeof(float));
  }
  pad_to_alignment(out);
  for (const auto& entry : tensors_) {
    for (float f : entry.second) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      put_le(out, bits, 4);
    }
    pad_to_alignment(out);
  }
  return out;
}

void GgufWriter::write(const std::string& path) const {
  const std::string data = bytes();
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, std::string("cannot create a temporary file next to it: ") + std::strerror(errno));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      fail(path, "cannot write the temporary file " + tmp);
    }
  }
  try {
    replace_file_durably(tmp, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

namespace {

GgufWriter control_vector_writer(const ControlVector& vector, const std::string& where) {
  if (vector.directions.empty()) fail(where, "a control vector needs at least one direction");
  const size_t n_embd = vector.directions.begin()->second.size();
  GgufWriter writer;
  writer.add_string("general.architecture", kArchitecture);
  writer.add_string(std::string(kArchitecture) + ".model_hint", vector.model_hint);
  writer.add_int32(std::string(kArchitecture) + ".layer_count", static_cast<int32_t>(vector.directions.size()));
  for (const auto& [layer, values] : vector.directions) {
    const std::string name = kDirectionPrefix + std::to_string(layer);
    if (layer < 1) fail(where, name + ": llama.cpp numbers directions from 1 (the output of block 1)");
    if (values.empty() || values.size() != n_embd)
      fail(where, name + ": " + std::to_string(values.size()) + " values, the first direction has " +
                      std::to_string(n_embd) + (n_embd == 0 ? " (directions cannot be empty)" : ""));
    writer.add_f32_tensor(name, values);
  }
  return writer;
}

}  // namespace

std::string control_vector_bytes(const ControlVector& vector, const std::string& where) {
  return control_vector_writer(vector, where).bytes();
}

void write_control_vector(const std::string& path, const ControlVector& vector) {
  control_vector_writer(vector, path).write(path);
}

ControlVector read_control_vector(const std::string& path, const ModelInfo* model) {
  std::shared_ptr<GgufFile> file = GgufFile::open(path);
  const std::string architecture = file->string("general.architecture");
  if (architecture != kArchitecture)
    fail(path, "general.architecture is " + in_quotes(architecture) + ", not 'controlvector' (not a control vector)");
  ControlVector vector;
  vector.model_hint = file->string(std::string(kArchitecture) + ".model_hint", "");
  const int64_t layer_count = file->integer(std::string(kArchitecture) + ".layer_count");
  if (file->tensors().empty()) fail(path, "no direction tensors");
  if (layer_count != static_cast<int64_t>(file->tensors().size()))
    fail(path, "controlvector.layer_count is " + std::to_string(layer_count) + " but the file holds " +
                   std::to_string(file->tensors().size()) + " direction tensors");
  const int64_t n_embd = file->tensors().front().numel();
  for (const GgufTensor& t : file->tensors()) {
    const std::string what = "tensor " + in_quotes(t.name);
    const int layer = direction_layer(t.name);
    if (layer < 1) fail(path, what + ": expected direction.N with a layer N >= 1");
    if (t.type != GgmlType::F32) fail(path, what + ": type " + ggml_type_name(t.type) + ", expected F32");
    if (t.ne.size() != 1) fail(path, what + ": " + std::to_string(t.ne.size()) + " dimensions, expected 1");
    if (t.numel() == 0) fail(path, what + ": no values (a direction cannot be empty)");
    if (t.numel() != n_embd)
      fail(path, what + ": " + std::to_string(t.numel()) + " values, but " + in_quotes(file->tensors().front().name) +
                     " has " + std::to_string(n_embd));
    if (model && (layer >= model->n_layers || t.numel() != model->d_model))
      fail(path, what + ": the model has blocks 1 to " + std::to_string(model->n_layers - 1) +
                     " to steer, of width " + std::to_string(model->d_model) + "; this is layer " +
                     std::to_string(layer) + " of width " + std::to_string(t.numel()));
    std::vector<float> values(static_cast<size_t>(n_embd));
    std::memcpy(values.data(), t.data, values.size() * sizeof(float));
    vector.directions[layer] = std::move(values);
  }
  return vector;
}

}  // namespace glassbox
