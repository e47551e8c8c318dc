// llama.cpp control vectors: what gguf-py writes reads value by value, our
// writer still makes the bytes gguf-py checked
// (tests/reference/make_control_vectors.py), and hostile files give one
// clear error naming the file.
#include "core/control_vector.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "test_gguf_builder.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::TempDir;

// The values make_control_vectors.py asserts in glassbox_written.gguf.
ControlVector glassbox_written() {
  ControlVector v;
  v.model_hint = "gpt2";
  for (int layer : {1, 3})
    for (int i = 0; i < 5; ++i) v.directions[layer].push_back((10.0f * layer + i) / 4 - 3);
  return v;
}

// The error message reading `path` gives; empty when it reads.
std::string read_error(const std::string& path, const ModelInfo* model = nullptr) {
  try {
    read_control_vector(path, model);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ControlVector, ReadsWhatGgufPyWrote) {
  const ControlVector v = read_control_vector(test::data("control_vectors/gguf_py_written.gguf"));
  EXPECT_EQ(v.model_hint, "llama");
  ASSERT_EQ(v.directions.size(), 4u);
  for (int layer = 1; layer <= 4; ++layer) {
    SCOPED_TRACE(layer);
    ASSERT_EQ(v.directions.at(layer).size(), 8u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(v.directions.at(layer)[i], layer / 2.0f + i / 8.0f - 1);
  }
}

// Regenerate the committed file (then rerun make_control_vectors.py) with
// GLASSBOX_CONTROL_VECTOR_OUT=tests/data/control_vectors/glassbox_written.gguf
// test_formats --gtest_filter=ControlVector.WriterMatchesTheCommittedFile
TEST(ControlVector, WriterMatchesTheCommittedFile) {
  if (const char* out = std::getenv("GLASSBOX_CONTROL_VECTOR_OUT")) write_control_vector(out, glassbox_written());
  const std::string committed = test::slurp(test::data("control_vectors/glassbox_written.gguf"));
  ASSERT_FALSE(committed.empty());
  EXPECT_EQ(control_vector_bytes(glassbox_written(), "test"), committed);
  EXPECT_EQ(committed.size() % 32, 0u);  // every tensor padded to the alignment
}

TEST(ControlVector, WriteIsAtomicAndReadsBack) {
  TempDir dir;
  const std::string path = dir.file("v.gguf");
  std::ofstream(path) << "an older file";
  write_control_vector(path, glassbox_written());
  const ControlVector back = read_control_vector(path);
  EXPECT_EQ(back.model_hint, "gpt2");
  EXPECT_EQ(back.directions, glassbox_written().directions);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary left behind
}

TEST(ControlVector, WriterRefusesWhatLlamaCppCannotRead) {
  ControlVector empty;
  EXPECT_THROW(control_vector_bytes(empty, "v.gguf"), Error);
  ControlVector layer_zero;
  layer_zero.directions[0] = {1, 2};
  try {
    control_vector_bytes(layer_zero, "v.gguf");
    FAIL() << "wrote direction.0";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "v.gguf: direction.0: llama.cpp numbers directions from 1 (the output of block 1)");
  }
  ControlVector uneven;
  uneven.directions[1] = {1, 2};
  uneven.directions[2] = {1, 2, 3};
  EXPECT_THROW(control_vector_bytes(uneven, "v.gguf"), Error);
}

TEST(ControlVector, ModelLayersAndWidthAreChecked) {
  TempDir dir;
  const std::string path = dir.file("v.gguf");
  write_control_vector(path, glassbox_written());
  ModelInfo fits;
  fits.n_layers = 4;
  fits.d_model = 5;
  EXPECT_EQ(read_error(path, &fits), "");
  ModelInfo shallow = fits;
  shallow.n_layers = 3;  // blocks 0..2: direction.3 would be past the last block
  EXPECT_EQ(read_error(path, &shallow), path +
                                            ": tensor 'direction.3': the model has blocks 1 to 2 to steer, of width 5; "
                                            "this is layer 3 of width 5");
  ModelInfo wider = fits;
  wider.d_model = 6;
  EXPECT_NE(read_error(path, &wider).find("of width 6"), std::string::npos);
}

// A control vector built field by field: F32 tensors of 8 values each unless
// `lengths` says otherwise.
test::GgufBuilder hostile(const std::vector<std::string>& names, std::vector<uint64_t> lengths = {}) {
  lengths.resize(names.size(), 8);
  test::GgufBuilder b;
  b.kv_string("general.architecture", "controlvector");
  b.kv_string("controlvector.model_hint", "llama");
  b.kv_u32("controlvector.layer_count", static_cast<uint32_t>(names.size()));
  uint64_t offset = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    b.tensor(names[i], {lengths[i]}, 0, offset);
    offset += (lengths[i] * 4 + 31) / 32 * 32;
  }
  b.data_bytes = offset;
  return b;
}

TEST(ControlVector, HostileFilesGiveOneClearError) {
  TempDir dir;
  const std::string path = dir.file("v.gguf");
  auto expect_error = [&](const test::GgufBuilder& b, const std::string& message) {
    b.write(path);
    EXPECT_EQ(read_error(path), path + ": " + message);
  };
  test::GgufBuilder valid = hostile({"direction.1", "direction.2"});
  valid.write(path);
  EXPECT_EQ(read_error(path), "");

  test::GgufBuilder model;
  model.kv_string("general.architecture", "llama");
  expect_error(model, "general.architecture is 'llama', not 'controlvector' (not a control vector)");

  test::GgufBuilder no_count;
  no_count.kv_string("general.architecture", "controlvector");
  no_count.tensor("direction.1", {8}, 0, 0);
  no_count.data_bytes = 32;
  expect_error(no_count, "missing metadata 'controlvector.layer_count'");

  test::GgufBuilder miscounted = hostile({"direction.1", "direction.2"});
  miscounted.kv_u32("controlvector.layer_count", 3);  // a second key of the same name
  miscounted.write(path);
  EXPECT_NE(read_error(path).find("appears twice"), std::string::npos);

  test::GgufBuilder three;
  three.kv_string("general.architecture", "controlvector");
  three.kv_u32("controlvector.layer_count", 3);
  three.tensor("direction.1", {8}, 0, 0);
  three.data_bytes = 32;
  expect_error(three, "controlvector.layer_count is 3 but the file holds 1 direction tensors");

  expect_error(hostile({}), "no direction tensors");
  expect_error(hostile({"direction.0"}), "tensor 'direction.0': expected direction.N with a layer N >= 1");
  expect_error(hostile({"direction.x"}), "tensor 'direction.x': expected direction.N with a layer N >= 1");
  expect_error(hostile({"token_embd.weight"}),
               "tensor 'token_embd.weight': expected direction.N with a layer N >= 1");

  test::GgufBuilder half;
  half.kv_string("general.architecture", "controlvector");
  half.kv_u32("controlvector.layer_count", 1);
  half.tensor("direction.1", {8}, 1, 0);  // F16
  half.data_bytes = 32;
  expect_error(half, "tensor 'direction.1': type F16, expected F32");

  test::GgufBuilder matrix;
  matrix.kv_string("general.architecture", "controlvector");
  matrix.kv_u32("controlvector.layer_count", 1);
  matrix.tensor("direction.1", {4, 2}, 0, 0);
  matrix.data_bytes = 32;
  expect_error(matrix, "tensor 'direction.1': 2 dimensions, expected 1");

  expect_error(hostile({"direction.1", "direction.2"}, {8, 7}), "tensor 'direction.2': 7 values, but 'direction.1' has 8");
  expect_error(hostile({"direction.1", "direction.2"}, {0, 0}), "tensor 'direction.1': no values (a direction cannot be empty)");

  // Truncated: a valid file cut short inside the tensor data.
  std::string bytes = control_vector_bytes(glassbox_written(), "test");
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 40);
  const std::string truncated = read_error(path);
  EXPECT_EQ(truncated.rfind(path + ": ", 0), 0u) << truncated;
  EXPECT_NE(truncated.find("past the end of the file"), std::string::npos) << truncated;
}

}  // namespace
}  // namespace glassbox
