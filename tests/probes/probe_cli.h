#pragma once
// Shared by the probe tests: the reference models, running glassbox-cli, and
// reading back its plot export.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/h5.h"
#include "core/model.h"
#include "core/plot.h"
#include "test_util.h"

namespace glassbox::test {

inline std::unique_ptr<Model> reference_model(const std::string& name) {
  LoadOptions options;
  options.device = device();
  return load_model(data("models/" + name), options);
}

inline std::string model_dir(const std::string& name) { return data("models/" + name); }

struct CliRun {
  int status = -1;
  std::string out, err;
};

// Runs `glassbox-cli ARGS` (ARGS as shell words) and collects its output.
inline CliRun run_cli(const std::string& args) {
  TempDir dir;
  const std::string command =
      std::string(GLASSBOX_CLI) + " " + args + " >" + dir.file("stdout") + " 2>" + dir.file("stderr");
  const int raw = std::system(command.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  CliRun run;
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = slurp(dir.file("stdout"));
  run.err = slurp(dir.file("stderr"));
  return run;
}

// The plots of an export by name.
inline std::map<std::string, Plot> read_plot_map(const std::string& path) {
  h5::Reader file(path);
  std::map<std::string, Plot> plots;
  for (Plot& p : read_plots(file)) plots[p.name] = std::move(p);
  return plots;
}

// One line on stderr, non-zero exit, mentioning `needle`.
inline ::testing::AssertionResult fails_clearly(const CliRun& run, const std::string& needle) {
  if (run.status == 0) return ::testing::AssertionFailure() << "exit status 0; stderr: " << run.err;
  if (run.err.find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "stderr lacks '" << needle << "': " << run.err;
  if (run.err.empty() || run.err.find('\n') != run.err.size() - 1)
    return ::testing::AssertionFailure() << "stderr is not one line: " << run.err;
  return ::testing::AssertionSuccess();
}

}  // namespace glassbox::test
