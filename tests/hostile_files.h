#pragma once
// Hostile model and session files, each with the words its one-line error
// must hold: the CLI, the window and the readers' own tests open the same
// cases. Every claimed count, length, offset and size a file can lie about is
// here, so that a loader that trusts one (allocates for it, reads past the
// end, loops on it) shows up as a crash, a timeout or an allocation failure.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/h5.h"
#include "core/session.h"
#include "formats/test_gguf_builder.h"
#include "session_cases.h"
#include "test_util.h"

namespace glassbox::test {

struct HostileFile {
  std::string path;
  std::string problem;  // words the error message must contain after "<path>: "
};

inline void add_case(std::vector<HostileFile>& cases, const std::string& path, const std::string& problem) {
  HostileFile c;
  c.path = path;
  c.problem = problem;
  cases.push_back(std::move(c));
}

// A loader's message for a case: "<path>: ", the problem, on one line.
inline ::testing::AssertionResult names_file_and_problem(const std::string& message, const HostileFile& c) {
  if (message.rfind(c.path + ": ", 0) != 0)
    return ::testing::AssertionFailure() << "does not start with '" << c.path << ": ': " << message;
  if (message.find(c.problem) == std::string::npos)
    return ::testing::AssertionFailure() << c.path << ": lacks '" << c.problem << "': " << message;
  if (message.find('\n') != std::string::npos) return ::testing::AssertionFailure() << "not one line: " << message;
  return ::testing::AssertionSuccess();
}

// ggml tensor types the cases use (numbered as in the file).
constexpr uint32_t kGgmlF32 = 0, kGgmlQ4_0 = 2, kGgmlF64 = 28;

// A one-layer llama small enough to build in a test, as llama.cpp's converter
// lays it out (zero weights, no tokenizer): d_model 32, 4 heads, MLP 64,
// vocabulary 16. Cases edit one part of it.
struct TinyLlama {
  struct Tensor {
    std::vector<uint64_t> ne;  // ggml order: row length first
    uint32_t type = kGgmlF32;
  };
  static Tensor f32(std::vector<uint64_t> ne) {
    Tensor t;
    t.ne = std::move(ne);
    return t;
  }
  std::map<std::string, std::string> strings = {{"general.architecture", "llama"}};
  std::map<std::string, uint64_t> integers = {{"llama.block_count", 1},
                                              {"llama.attention.head_count", 4},
                                              {"llama.embedding_length", 32},
                                              {"llama.feed_forward_length", 64},
                                              {"llama.context_length", 64}};
  std::vector<std::string> tokens;  // tokenizer.ggml.tokens, when not empty
  std::map<std::string, Tensor> tensors = {
      {"token_embd.weight", f32({32, 16})},        {"output_norm.weight", f32({32})},
      {"blk.0.attn_norm.weight", f32({32})},       {"blk.0.ffn_norm.weight", f32({32})},
      {"blk.0.attn_q.weight", f32({32, 32})},      {"blk.0.attn_k.weight", f32({32, 32})},
      {"blk.0.attn_v.weight", f32({32, 32})},      {"blk.0.attn_output.weight", f32({32, 32})},
      {"blk.0.ffn_gate.weight", f32({32, 64})},    {"blk.0.ffn_up.weight", f32({32, 64})},
      {"blk.0.ffn_down.weight", f32({64, 32})},
  };

  GgufBuilder builder() const {
    GgufBuilder b;
    for (const auto& [key, value] : strings) b.kv_string(key, value);
    for (const auto& [key, value] : integers) b.kv_u64(key, value);
    if (!tokens.empty()) b.kv_strings("tokenizer.ggml.tokens", tokens);
    for (const auto& [name, t] : tensors) {
      uint64_t elements = 1;
      for (uint64_t d : t.ne) elements *= d;
      b.tensor_data(name, t.ne, t.type, elements * (t.type == kGgmlF64 ? 8 : 4));
    }
    return b;
  }
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The valid llama the GGUF cases break, written to `path`.
inline std::string write_tiny_llama(const std::string& path) {
  TinyLlama().builder().write(path);
  return path;
}

// Adds the case `name` (a .gguf file of `bytes` in `dir`) to `cases`.
inline void add_gguf_case(std::vector<HostileFile>& cases, const std::string& dir, const std::string& name,
                          const std::string& problem, const std::string& bytes) {
  const std::string path = dir + "/" + name + ".gguf";
  write_bytes(path, bytes);
  add_case(cases, path, problem);
}

// Writes into `dir` each GGUF file whose structure is broken: the reader
// (GgufFile::open) refuses them.
inline std::vector<HostileFile> write_hostile_gguf_files(const std::string& dir) {
  std::vector<HostileFile> cases;
  const auto add = [&](const std::string& name, const std::string& problem, const std::string& bytes) {
    add_gguf_case(cases, dir, name, problem, bytes);
  };
  // The file's own structure, broken on the valid llama.
  const auto broken = [&](const std::string& name, const std::string& problem,
                          const std::function<void(GgufBuilder&)>& edit) {
    GgufBuilder b = TinyLlama().builder();
    edit(b);
    add(name, problem, b.bytes());
  };
  // One metadata entry written first, ahead of the model's: raw bytes after its key.
  const auto first_entry = [&](const std::string& name, const std::string& problem, const std::string& key,
                               const std::function<void(std::string&)>& value) {
    broken(name, problem, [&](GgufBuilder& b) {
      std::string entry;
      put_string(entry, key);
      value(entry);
      b.kvs = entry + b.kvs;
      ++b.n_kvs;
    });
  };
  constexpr uint64_t k2_62 = uint64_t(1) << 62, k2_63 = uint64_t(1) << 63, k2_40 = uint64_t(1) << 40;

  add("empty", "not a GGUF file", "");
  add("text", "not a GGUF file", "this is not a model\n");
  broken("bad_magic", "not a GGUF file (it does not start with the magic bytes 'GGUF')",
         [](GgufBuilder& b) { b.magic = "GGML"; });
  broken("version_1", "GGUF version 1 is not supported", [](GgufBuilder& b) { b.version = 1; });
  broken("version_4", "GGUF version 4 is not supported", [](GgufBuilder& b) { b.version = 4; });
  broken("big_endian", "big-endian GGUF files are not supported",
         [](GgufBuilder& b) { b.version = __builtin_bswap32(3); });
  add("cut_in_header", "tensor count: the file ends at byte 12", TinyLlama().builder().bytes().substr(0, 12));
  {
    GgufBuilder b;  // one tensor, cut in its offset: few enough for the bytes left, so the count passes
    b.tensor("w", {1}, kGgmlF32, 0);
    add("cut_in_tensor_info", "tensor 'w' offset: the file ends at byte", b.bytes().substr(0, 24 + b.infos.size() - 4));
  }
  broken("tensor_count_2^63", "tensor count 9223372036854775808 is more than",
         [&](GgufBuilder& b) { b.tensor_count = k2_63; });
  broken("metadata_count_2^63", "metadata count 9223372036854775808 is more than",
         [&](GgufBuilder& b) { b.kv_count = k2_63; });
  broken("key_length_2^62", "metadata key 0: length 4611686018427387904 extends past the end of the file",
         [&](GgufBuilder& b) {
           std::string entry;
           put_u64(entry, k2_62);
           b.kvs = entry + "general.name" + b.kvs;
           ++b.n_kvs;
         });
  first_entry("string_past_end", "metadata 'general.name': length 1099511627776 extends past the end of the file",
              "general.name", [&](std::string& v) {
                put_u32(v, 8);
                put_u64(v, k2_40);
                v += "short";
              });
  const auto array_of = [](uint32_t element, uint64_t count) {
    return [element, count](std::string& v) {
      put_u32(v, 9);
      put_u32(v, element);
      put_u64(v, count);
    };
  };
  first_entry("uint8_array_2^62", "metadata 'general.tags': array length 4611686018427387904 extends past the end",
              "general.tags", array_of(0, k2_62));
  first_entry("string_array_2^62", "metadata 'tokenizer.ggml.tokens': array length 4611686018427387904 extends past",
              "tokenizer.ggml.tokens", array_of(8, k2_62));
  first_entry("nested_array_2^62", "metadata 'general.tags': array length 4611686018427387904 extends past",
              "general.tags", array_of(9, k2_62));
  first_entry("array_string_past_end",
              "metadata 'tokenizer.ggml.tokens'[1]: length 1099511627776 extends past the end of the file",
              "tokenizer.ggml.tokens", [&](std::string& v) {
                array_of(8, 2)(v);
                put_string(v, "a");
                put_u64(v, k2_40);
              });
  first_entry("unknown_value_type", "metadata 'general.name': unknown value type 13", "general.name",
              [](std::string& v) { put_u32(v, 13); });
  first_entry("unknown_element_type", "metadata 'general.tags' element: unknown value type 99", "general.tags",
              array_of(99, 1));
  first_entry("bool_2", "metadata 'general.flag': bool value 2 is neither 0 nor 1", "general.flag",
              [](std::string& v) {
                put_u32(v, 7);
                v += '\2';
              });
  first_entry("arrays_nested_5_deep", "arrays nested more than 4 deep", "general.tags", [&](std::string& v) {
    put_u32(v, 9);
    for (int depth = 0; depth < 5; ++depth) {
      put_u32(v, 9);
      put_u64(v, 1);
    }
  });
  first_entry("empty_key", "metadata key 0 is empty", "", [](std::string& v) {
    put_u32(v, 4);
    put_u32(v, 1);
  });
  broken("duplicate_key", "metadata 'general.architecture' appears twice",
         [](GgufBuilder& b) { b.kv_string("general.architecture", "gpt2"); });
  broken("alignment_48", "metadata 'general.alignment' must be a positive power of two",
         [](GgufBuilder& b) { b.kv_u32("general.alignment", 48); });
  broken("alignment_0", "metadata 'general.alignment' must be a positive power of two",
         [](GgufBuilder& b) { b.kv_u32("general.alignment", 0); });
  broken("alignment_string", "metadata 'general.alignment' must be a positive power of two",
         [](GgufBuilder& b) { b.kv_string("general.alignment", "32"); });
  broken("duplicate_tensor", "tensor 'output_norm.weight' appears twice",
         [](GgufBuilder& b) { b.tensor_data("output_norm.weight", {32}, kGgmlF32, 128); });
  broken("unaligned_offset", "tensor 'extra': offset 4 is not a multiple of the alignment 32",
         [](GgufBuilder& b) { b.tensor("extra", {1}, kGgmlF32, 4); });
  broken("overlapping_offsets", "overlaps tensor", [](GgufBuilder& b) {
    b.tensor("extra", {32}, kGgmlF32, 0);
  });
  broken("offset_past_end", "tensor 'extra': data [1099511627776, +4) extends past the end of the file",
         [&](GgufBuilder& b) { b.tensor("extra", {1}, kGgmlF32, k2_40); });
  broken("offset_wraps", "tensor 'extra': data [18446744073709551584, +128) extends past the end of the file",
         [](GgufBuilder& b) { b.tensor("extra", {32}, kGgmlF32, ~uint64_t(31)); });
  broken("data_cut_short", "extends past the end of the file", [](GgufBuilder& b) { b.data_bytes -= 64; });
  {
    GgufBuilder b;  // its one tensor at offset 0, the only one aligned to 2^30
    b.kv_u32("general.alignment", 1u << 30);
    b.tensor("w", {1}, kGgmlF32, 0);
    add("data_start_past_end", "the tensor data would start at byte 1073741824, past the end of the file", b.bytes());
  }
  const auto one_tensor = [](std::vector<uint64_t> ne, uint32_t type) {
    return [ne, type](GgufBuilder& b) { b.tensor("extra", ne, type, b.data_bytes); };
  };
  broken("unknown_tensor_type", "tensor 'extra': unknown tensor type 99", one_tensor({1}, 99));
  broken("no_dimensions", "tensor 'extra': 0 dimensions (1 to 4 allowed)", one_tensor({}, kGgmlF32));
  broken("five_dimensions", "tensor 'extra': 5 dimensions (1 to 4 allowed)", one_tensor({1, 1, 1, 1, 1}, kGgmlF32));
  broken("elements_overflow", "tensor 'extra': dimensions overflow",
         one_tensor({uint64_t(1) << 32, uint64_t(1) << 32}, kGgmlF32));
  broken("bytes_overflow", "tensor 'extra': dimensions overflow", one_tensor({k2_62}, kGgmlF32));
  broken("dimension_2^63", "tensor 'extra': dimensions overflow", one_tensor({k2_63}, kGgmlF32));
  broken("partial_block", "tensor 'extra': row length 33 is not a multiple of Q4_0's block size 32",
         one_tensor({33}, kGgmlQ4_0));

  return cases;
}

// Writes into `dir` each well-formed GGUF file whose model is wrong (keys
// missing or mistyped, sizes that disagree): the reader opens them, loading
// the model refuses them.
inline std::vector<HostileFile> write_hostile_gguf_models(const std::string& dir) {
  std::vector<HostileFile> cases;
  const auto model = [&](const std::string& name, const std::string& problem,
                         const std::function<void(TinyLlama&)>& edit) {
    TinyLlama m;
    edit(m);
    add_gguf_case(cases, dir, name, problem, m.builder().bytes());
  };
  model("no_architecture", "missing metadata 'general.architecture'",
        [](TinyLlama& m) { m.strings.erase("general.architecture"); });
  model("architecture_integer", "metadata 'general.architecture' is a uint64, not a string", [](TinyLlama& m) {
    m.strings.erase("general.architecture");
    m.integers["general.architecture"] = 1;
  });
  model("unsupported_architecture", "general.architecture 'mamba' is not supported",
        [](TinyLlama& m) { m.strings["general.architecture"] = "mamba"; });
  model("no_block_count", "missing metadata 'llama.block_count'",
        [](TinyLlama& m) { m.integers.erase("llama.block_count"); });
  model("head_count_string", "metadata 'llama.attention.head_count' is a string, not an integer", [](TinyLlama& m) {
    m.integers.erase("llama.attention.head_count");
    m.strings["llama.attention.head_count"] = "4";
  });
  model("head_count_0", "metadata 'llama.attention.head_count' is 0 (expected 1 to 2147483647)",
        [](TinyLlama& m) { m.integers["llama.attention.head_count"] = 0; });
  model("block_count_2^32+1", "metadata 'llama.block_count' is 4294967297 (expected 1 to 2147483647)",
        [](TinyLlama& m) { m.integers["llama.block_count"] = (uint64_t(1) << 32) + 1; });
  model("heads_not_dividing_width", "llama.embedding_length 32 is not a multiple of llama.attention.head_count 3",
        [](TinyLlama& m) { m.integers["llama.attention.head_count"] = 3; });
  model("kv_heads_not_dividing", "tensor 'blk.0.attn_k.weight': 32 rows do not split into 3 heads",
        [](TinyLlama& m) { m.integers["llama.attention.head_count_kv"] = 3; });
  model("vocabulary_disagrees", "tokenizer.ggml.tokens lists 10 tokens, but 'token_embd.weight' has 16 rows",
        [](TinyLlama& m) {
          for (int i = 0; i < 10; ++i) m.tokens.push_back("t" + std::to_string(i));
        });
  model("no_embedding", "no 2-D tensor 'token_embd.weight'",
        [](TinyLlama& m) { m.tensors.erase("token_embd.weight"); });
  model("missing_layer_tensor", "no tensor named 'model.layers.0.mlp.down_proj.weight'",
        [](TinyLlama& m) { m.tensors.erase("blk.0.ffn_down.weight"); });
  model("wrong_shape", "tensor 'model.layers.0.self_attn.v_proj.weight' has shape [16,32]",
        [](TinyLlama& m) { m.tensors["blk.0.attn_v.weight"].ne = {32, 16}; });
  model("unsupported_tensor_type", "tensor 'token_embd.weight' has type F64, which is not supported",
        [](TinyLlama& m) { m.tensors["token_embd.weight"].type = kGgmlF64; });
  model("rope_scaling", "rope scaling 'yarn' (llama.rope.scaling.type) is not supported",
        [](TinyLlama& m) { m.strings["llama.rope.scaling.type"] = "yarn"; });
  return cases;
}

// Both kinds of hostile GGUF case, written into `dir`.
inline std::vector<HostileFile> write_hostile_ggufs(const std::string& dir) {
  std::vector<HostileFile> cases = write_hostile_gguf_files(dir);
  for (HostileFile& c : write_hostile_gguf_models(dir)) cases.push_back(std::move(c));
  return cases;
}

// Adds dataset `name` to the HDF5 file at `path`, claiming `elements` int64s
// in chunks but storing none of them (what a reader would read is fill values).
inline void add_unwritten_dataset(const std::string& path, const std::string& name, uint64_t elements) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hsize_t dims[1] = {elements}, chunk[1] = {1024};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(create, 1, chunk);
  const hid_t dataset = H5Dcreate2(file, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
  H5Dclose(dataset);
  H5Pclose(create);
  H5Sclose(space);
  H5Fclose(file);
}

// Writes each hostile session case into `dir` (and good.gbx, the valid session they vary).
inline std::vector<HostileFile> write_hostile_sessions(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<HostileFile> cases;
  const Session valid = small_session(dir + "/model");
  const std::string good = dir + "/good.gbx";
  write_session(good, valid);
  const auto size = fs::file_size(good);

  auto truncated = [&](const std::string& name, uintmax_t keep) {
    const std::string path = dir + "/" + name;
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    fs::resize_file(path, keep);
    return path;
  };
  add_case(cases, truncated("truncated_half.gbx", size / 2), "truncated or damaged");
  add_case(cases, truncated("truncated_header.gbx", 40), "truncated or damaged");
  add_case(cases, truncated("empty.gbx", 0), "not an HDF5 file");
  {
    const std::string path = dir + "/text.gbx";
    write_bytes(path, "this is not HDF5\n");
    add_case(cases, path, "not an HDF5 file");
  }
  add_case(cases, write_tiny_llama(dir + "/model_named_gbx.gbx"), "not an HDF5 file");
  {
    // Format 1 held variable-length strings, which libhdf5 reads unchecked.
    const std::string path = dir + "/format1.gbx";
    fs::copy_file(test::data("sessions/format1_one_run.gbx"), path, fs::copy_options::overwrite_existing);
    add_case(cases, path, "attribute 'glassbox_format' of '/' is a variable-length string");
  }
  // Found by fuzz_session: libhdf5 1.10.8 dereferences a null pointer on these
  // (in H5F__accum_read, from a v2 B-tree header; in H5VM_memcpyvv), which the
  // child process that reads a session first takes instead of the app.
  for (const char* crash : {"libhdf5_crash_accum_read.gbx", "libhdf5_crash_memcpyvv.gbx"}) {
    const std::string path = dir + "/" + crash;
    fs::copy_file(test::data(std::string("sessions/") + crash), path, fs::copy_options::overwrite_existing);
    add_case(cases, path, "the HDF5 library");
  }
  {
    const std::string path = dir + "/activation_cache.gbx";
    h5::Writer w(path);
    w.attr("/", "glassbox_format", std::string("activation-cache"));
    w.attr("/", "format_version", int64_t(1));
    w.commit();
    add_case(cases, path, "not a Glassbox session (glassbox_format is 'activation-cache'");
  }
  {
    const std::string path = dir + "/plot_export.gbx";
    h5::Writer w(path);
    write_plots(w, {small_heatmap("grid", 1)}, PlotMeta{"logit-lens", "{}", "m"});
    w.commit();
    add_case(cases, path, "no glassbox_format attribute");
  }
  // Variations of a valid session written through a hook that edits it.
  auto variant = [&](const std::string& name, const std::string& problem, auto&& edit) {
    const std::string path = dir + "/" + name;
    Session s = valid;
    edit(s);
    write_session(path, s);
    add_case(cases, path, problem);
  };
  variant("no_analysis.gbx", "names no analysis", [](Session& s) { s.runs[0].analysis = ""; });
  variant("tokens_vs_strings.gbx", "has 3 tokens but 2 token strings",
          [](Session& s) { s.prompts[0].token_strings.pop_back(); });
  variant("hashes_vs_files.gbx", "lists 1 weights files but 2 hashes",
          [](Session& s) { s.model.weights_sha256.push_back(std::string(64, 'b')); });
  variant("bad_kind.gbx", "/model kind is 'pickle'", [](Session& s) { s.model.kind = "pickle"; });
  // Model paths that leave the model the session names.
  variant("model_path_relative.gbx", "/model path '../outside/model' is not an absolute path", [](Session& s) {
    s.model.path = "../outside/model";
    s.model.weights_files = {"../outside/model/model.safetensors"};
  });
  variant("model_path_climbs.gbx", "/model path '" + dir + "/model/../../outside' is not an absolute path",
          [&](Session& s) { s.model.path = dir + "/model/../../outside"; });
  variant("weights_outside_model.gbx", "/model weights file '/etc/passwd' is not in the model folder " + dir + "/model",
          [](Session& s) { s.model.weights_files = {"/etc/passwd"}; });
  variant("weights_climb_out.gbx", "is not in the model folder",
          [&](Session& s) { s.model.weights_files = {dir + "/model/../../etc/passwd"}; });
  variant("gguf_weights_elsewhere.gbx", "/model weights file '" + dir + "/other.gguf' is not the model file",
          [&](Session& s) {
            s.model.kind = "gguf";
            s.model.path = dir + "/model.gguf";
            s.model.weights_files = {dir + "/other.gguf"};
          });

  // Edits below the Session structure: raw HDF5 written by hand, every group
  // but `omitted`.
  auto raw = [&](const std::string& name, const std::string& problem, auto&& write_extra,
                 const std::string& omitted = "", int64_t version = kSessionFormatVersion) {
    const std::string path = dir + "/" + name;
    {
      h5::Writer w(path);
      w.attr("/", "glassbox_format", std::string("session"));
      w.attr("/", "format_version", version);
      if (omitted != "/model") {
        w.group("/model");
        for (const char* attr : {"family", "device", "dtype"}) w.attr("/model", attr, std::string("x"));
        w.attr("/model", "path", std::string("/no/such/model"));
        w.attr("/model", "kind", std::string("folder"));
        w.dataset("/model/weights_files", std::vector<std::string>{});
        w.dataset("/model/weights_sha256", std::vector<std::string>{});
      }
      for (const char* group : {"/prompts", "/runs"})
        if (omitted != group) w.group(group);
      if (omitted != "/window") {
        w.group("/window");
        w.attr("/window", "state_json", std::string("{}"));
      }
      write_extra(w);
      w.commit();
    }
    add_case(cases, path, problem);
    return path;
  };
  const auto nothing = [](h5::Writer&) {};
  raw("prompt_out_of_range.gbx", "refers to prompt 5 but the session has 0", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(5));
  });
  raw("newer.gbx", "written by a newer Glassbox (session format 3", nothing, "", 3);
  raw("version_zero.gbx", "invalid session format_version 0", nothing, "", 0);
  raw("version_text.gbx", "attribute 'format_version' of '/' holds strings, not integers",
      [](h5::Writer& w) { w.attr("/", "format_version", std::string("1")); });
  for (const char* group : {"/model", "/prompts", "/runs", "/window"})
    raw("missing_" + std::string(group + 1) + ".gbx", std::string(group) + " is missing", nothing, group);
  raw("gap_in_runs.gbx", "has '0001' where /runs/0000 was expected", [](h5::Writer& w) { w.group("/runs/0001"); });
  raw("plot_order_wrong.gbx", "lists 1 plots in plot_order but holds 0", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(-1));
    w.group("/runs/0000/plots");
    w.dataset("/runs/0000/plot_order", std::vector<std::string>{"q"});
  });
  raw("run_without_attrs.gbx", "'/runs/0000' has no attribute 'analysis'",
      [](h5::Writer& w) { w.group("/runs/0000"); });
  raw("plot_wrong_shape.gbx", "a heatmap needs 2-D data, got rank 1", [](h5::Writer& w) {
    w.group("/runs/0000");
    for (const char* attr : {"analysis", "params_json"}) w.attr("/runs/0000", attr, std::string("next-token"));
    w.attr("/runs/0000", "prompt", int64_t(-1));
    const float data[6] = {};
    w.dataset("/runs/0000/plots/p/data", data, {6});
    w.attr("/runs/0000/plots/p", "kind", std::string("heatmap"));
    const std::vector<std::string> x = {"a", "b", "c", "d"};
    w.dataset("/runs/0000/plots/p/x", x);
    w.dataset("/runs/0000/plot_order", std::vector<std::string>{"p"});
  });
  const auto prompt_group = [](h5::Writer& w) {
    w.group("/prompts/0000");
    w.attr("/prompts/0000", "text", std::string("a"));
    w.attr("/prompts/0000", "add_special_tokens", int64_t(0));
  };
  raw("tokens_2d.gbx", "/prompts/0000/tokens is 2-D; token ids are 1-D", [&](h5::Writer& w) {
    prompt_group(w);
    const int64_t ids[2] = {1, 2};
    w.dataset("/prompts/0000/tokens", ids, {2, 1});
    w.dataset("/prompts/0000/token_strings", std::vector<std::string>{"a", "b"});
  });
  raw("tokens_as_floats.gbx", "dataset '/prompts/0000/tokens' holds floating-point numbers, not integers",
      [&](h5::Writer& w) {
        prompt_group(w);
        const float ids[1] = {1.5f};
        w.dataset("/prompts/0000/tokens", ids, {1});
      });
  const std::string claimed = raw(
      "tokens_claim_2^33.gbx", "dataset '/prompts/0000/tokens' claims 8589934592 elements of 8 bytes, more than the file",
      prompt_group);
  add_unwritten_dataset(claimed, "/prompts/0000/tokens", uint64_t(1) << 33);
  return cases;
}

}  // namespace glassbox::test
