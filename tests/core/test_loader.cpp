// Loading model folders: every family, and one clear error for bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

namespace fs = std::filesystem;

// A copy of a reference model folder whose config.json the test rewrites.
fs::path copy_model(const test::TempDir& tmp, const std::string& name) {
  fs::path dst = fs::path(tmp.path()) / name;
  fs::copy(test::data("models/" + name), dst, fs::copy_options::recursive);
  return dst;
}

void edit_config(const fs::path& dir, const std::function<void(nlohmann::json&)>& change) {
  nlohmann::json j = read_json_file((dir / "config.json").string());
  change(j);
  std::ofstream((dir / "config.json").string()) << j.dump(2);
}

std::string load_error(const fs::path& dir) {
  try {
    load_model(dir.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Loader, InfoDescribesEachFamily) {
  auto neox = load_model(test::data("models/neox_parallel"));
  EXPECT_EQ(neox->info().family, "gpt_neox");
  EXPECT_TRUE(neox->info().parallel_residual);
  EXPECT_EQ(neox->info().rotary_dim, 4);
  auto llama = load_model(test::data("models/llama_gqa"));
  EXPECT_EQ(llama->info().n_kv_heads, 2);
  EXPECT_TRUE(llama->info().gated_mlp);
  EXPECT_FALSE(llama->info().tied_embeddings);
  auto tied = load_model(test::data("models/llama3_tied"));
  EXPECT_TRUE(tied->info().tied_embeddings);
  auto gpt2 = load_model(test::data("models/gpt2_a"));
  EXPECT_EQ(gpt2->info().positional, "learned");
  EXPECT_GT(gpt2->info().n_params, 0);
}

TEST(Loader, UnknownModelTypeListsTheSupportedOnes) {
  test::TempDir tmp;
  auto dir = copy_model(tmp, "gpt2_a");
  edit_config(dir, [](nlohmann::json& j) { j["model_type"] = "bert"; });
  std::string e = load_error(dir);
  EXPECT_NE(e.find("config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("'bert' is not supported"), std::string::npos) << e;
  for (const char* t : {"gpt2", "gpt_neox", "llama", "mistral", "qwen2"}) EXPECT_NE(e.find(t), std::string::npos) << e;
}

TEST(Loader, ShapeDisagreeingWithConfigNamesTheTensor) {
  test::TempDir tmp;
  auto dir = copy_model(tmp, "llama_gqa");
  edit_config(dir, [](nlohmann::json& j) { j["intermediate_size"] = 100; });
  std::string e = load_error(dir);
  EXPECT_NE(e.find("mlp.gate_proj.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("[100,64]"), std::string::npos) << e;
}

TEST(Loader, MissingFieldsAndFilesAreNamed) {
  test::TempDir tmp;
  auto dir = copy_model(tmp, "gpt2_a");
  edit_config(dir, [](nlohmann::json& j) { j.erase("n_head"); });
  EXPECT_NE(load_error(dir).find("missing field 'n_head'"), std::string::npos);
  edit_config(dir, [](nlohmann::json& j) { j["n_head"] = "four"; });
  EXPECT_NE(load_error(dir).find("'n_head' must be an integer"), std::string::npos);
  edit_config(dir, [](nlohmann::json& j) { j["n_head"] = 5; });
  EXPECT_NE(load_error(dir).find("multiple of n_head"), std::string::npos);
  fs::remove(dir / "model.safetensors");
  edit_config(dir, [](nlohmann::json& j) { j["n_head"] = 4; });
  EXPECT_NE(load_error(dir).find(dir.string()), std::string::npos);
  fs::remove(dir / "config.json");
  EXPECT_NE(load_error(dir).find("config.json"), std::string::npos);
  EXPECT_NE(load_error(fs::path(tmp.path()) / "nowhere").find("nowhere"), std::string::npos);
  std::ofstream((dir / "config.json").string()) << "{ not json";
  EXPECT_NE(load_error(dir).find("not valid JSON"), std::string::npos);
}

TEST(Loader, UnsupportedWeightDtypeNamesTensorAndDtype) {
  test::TempDir tmp;
  auto dir = copy_model(tmp, "gpt2_a");
  Checkpoint original = Checkpoint::open_dir(dir.string());
  std::vector<TensorToWrite> tensors;
  std::vector<int32_t> ints(64, 1);
  for (const auto& name : original.names()) {
    const TensorRecord& r = original.get(name);
    if (name == "transformer.ln_f.bias") {
      tensors.push_back({name, DType::I32, r.shape, ints.data(), ints.size() * 4});
    } else {
      tensors.push_back({name, r.dtype, r.shape, r.data, r.nbytes});
    }
  }
  write_safetensors((dir / "model.safetensors").string() + ".new", tensors);
  fs::rename((dir / "model.safetensors").string() + ".new", dir / "model.safetensors");
  std::string e = load_error(dir);
  EXPECT_NE(e.find("transformer.ln_f.bias"), std::string::npos) << e;
  EXPECT_NE(e.find("I32"), std::string::npos) << e;
}

TEST(Loader, UnsupportedRopeScalingAndDeviceAreErrors) {
  test::TempDir tmp;
  auto dir = copy_model(tmp, "llama_gqa");
  edit_config(dir, [](nlohmann::json& j) { j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 2.0}}; });
  EXPECT_NE(load_error(dir).find("'yarn' is not supported"), std::string::npos);
  LoadOptions bad;
  bad.device = "tpu";
  EXPECT_THROW(load_model(test::data("models/gpt2_a"), bad), Error);
  bad.device = "cpu";
  bad.dtype = "int8";
  EXPECT_THROW(load_model(test::data("models/gpt2_a"), bad), Error);
}

}  // namespace
}  // namespace glassbox
