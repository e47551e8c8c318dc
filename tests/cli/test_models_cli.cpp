// glassbox-cli models on fake caches whose gpt2 snapshot and Ollama llama
// blob are real test models, so the listed paths are checked by loading them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_caches.h"
#include "test_util.h"

namespace glassbox {
namespace {
using test::run_cli;
using test::shell_quote;

struct Listed {
  test::TempDir dir;
  test::FakeCaches caches;
  std::string roots;  // the --hf-cache and --ollama flags
  Listed()
      : caches(test::make_fake_caches(dir, {test::model_dir("gpt2_a"), test::data("gguf/models/llama_gqa.gguf")})),
        roots("--hf-cache " + shell_quote(caches.hf) + " --ollama " + shell_quote(caches.ollama)) {}
};

const nlohmann::json& entry(const nlohmann::json& models, const std::string& name, const std::string& revision = "") {
  static const nlohmann::json none;
  for (const auto& m : models) {
    if (m["name"] == name && m["revision"] == revision) return m;
  }
  ADD_FAILURE() << "no entry " << name << "@" << revision;
  return none;
}

TEST(ModelsCli, JsonListsBothSourcesAndThePathsLoad) {
  Listed listed;
  const auto r = run_cli("models --json " + listed.roots);
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["hf_cache"], listed.caches.hf);
  EXPECT_EQ(out["ollama"], listed.caches.ollama);
  const nlohmann::json& models = out["models"];
  EXPECT_EQ(models.size(), 14u);  // 8 snapshots, 6 manifests

  const nlohmann::json& gpt2 = entry(models, "openai-community/gpt2", test::kGpt2MainRevision);
  EXPECT_EQ(gpt2["source"], "hf-cache");
  EXPECT_EQ(gpt2["format"], "folder");
  EXPECT_EQ(gpt2["family"], "gpt2");
  EXPECT_EQ(gpt2["refs"], nlohmann::json::array({"main"}));
  EXPECT_EQ(gpt2["size_bytes"], listed.caches.gpt2_weights_bytes);
  EXPECT_EQ(gpt2["supported"], true);
  const auto gpt2_info = run_cli("info --model " + shell_quote(gpt2["path"].get<std::string>()));
  ASSERT_EQ(gpt2_info.status, 0) << gpt2_info.err;
  EXPECT_EQ(nlohmann::json::parse(gpt2_info.out)["model_type"], "gpt2");

  const nlohmann::json& llama = entry(models, "llama:latest");
  EXPECT_EQ(llama["source"], "ollama");
  EXPECT_EQ(llama["format"], "gguf");
  EXPECT_EQ(llama["family"], "llama");
  EXPECT_EQ(llama["path"], listed.caches.llama_blob);
  EXPECT_EQ(llama["size_bytes"], listed.caches.llama_blob_bytes);
  EXPECT_EQ(llama["supported"], true);
  const auto llama_info = run_cli("info --model " + shell_quote(llama["path"].get<std::string>()));
  ASSERT_EQ(llama_info.status, 0) << llama_info.err;
  EXPECT_EQ(nlohmann::json::parse(llama_info.out)["model_type"], "llama");

  const nlohmann::json& missing = entry(models, "missing-blob:7b");
  EXPECT_EQ(missing["supported"], false);
  EXPECT_NE(missing["reason"].get<std::string>().find("is missing"), std::string::npos);
}

TEST(ModelsCli, TableIsAlignedAndSaysWhyNot) {
  Listed listed;
  const auto r = run_cli("models " + listed.roots);
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header;
  std::getline(lines, header);
  const size_t source_column = header.find("SOURCE"), path_column = header.find("PATH");
  ASSERT_EQ(header.rfind("NAME", 0), 0u) << header;
  ASSERT_NE(source_column, std::string::npos);
  int rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    const std::string source = line.substr(source_column, line.find(' ', source_column) - source_column);
    EXPECT_TRUE(source == "hf-cache" || source == "ollama") << line;
    EXPECT_EQ(line[path_column - 1], ' ') << line;
    EXPECT_EQ(line[path_column], '/') << line;
  }
  EXPECT_EQ(rows, 14);
  EXPECT_NE(r.out.find("openai-community/gpt2@aaaaaaaaaaaa main "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no: only pickle weights (pytorch_model.bin): pickle weights are not loaded"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("no: model layer digest 'sha256:../../outside/model.gguf' is not sha256:<64 hex digits>"),
            std::string::npos)
      << r.out;
}

TEST(ModelsCli, EmptyRootsSayNothingWasFound) {
  test::TempDir dir;
  const auto r = run_cli("models --hf-cache " + shell_quote(dir.file("none")) + " --ollama ''");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "no models in the Hugging Face cache (" + dir.file("none") + ") or in Ollama ()\n");
  const auto json = run_cli("models --json --hf-cache '' --ollama ''");
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["models"], nlohmann::json::array());
}

TEST(ModelsCli, HelpNamesTheDefaultsAndUnknownOptionsFail) {
  const auto help = run_cli("models --help");
  ASSERT_EQ(help.status, 0) << help.err;
  EXPECT_NE(help.out.find("HF_HUB_CACHE"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("OLLAMA_MODELS"), std::string::npos) << help.out;
  EXPECT_TRUE(test::fails_clearly(run_cli("models --hf-cache '' --ollama '' --cache x"), "unknown option --cache"));
}

}  // namespace
}  // namespace glassbox
