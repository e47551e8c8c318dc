#pragma once
// A session (docs/file-formats.md#session): the model an investigation used,
// its prompts, every analysis run with its results, and the window's state,
// in one HDF5 file (*.gbx) that reopens without recomputing. No torch or Qt.
#include <cstdint>
#include <string>
#include <vector>

#include "core/h5.h"
#include "core/model_info.h"
#include "core/plot.h"

namespace glassbox {

struct SessionModel {
  std::string path;  // the model folder or .gguf file as opened
  std::string kind;  // "folder" or "gguf"
  std::string family, config_json;
  std::vector<std::string> weights_files;   // paths of the weights files
  std::vector<std::string> weights_sha256;  // one lower-case hex digest per file
  std::string device, dtype;                // compute device and dtype
};

struct SessionPrompt {
  std::string text;
  bool add_special_tokens = false;
  std::vector<int64_t> tokens;
  std::vector<std::string> token_strings;  // raw decoded pieces, one per token
  bool operator==(const SessionPrompt& o) const {
    return text == o.text && add_special_tokens == o.add_special_tokens && tokens == o.tokens;
  }
};

struct SessionRun {
  std::string analysis;     // registry id (probes/registry.h)
  std::string params_json;  // the parsed parameters, as in plot exports
  std::string inputs_json;  // what the parameters panel held, to restore it: {name: {text, token_text}}
  int64_t prompt = -1;      // index into Session::prompts; -1: the analysis took none
  std::string dataset;      // the data set file, if the analysis took one
  std::string edits_json = "[]";  // interventions active during the run
  SharedPlots plots;
  std::string started_utc;  // ISO 8601
  double seconds = 0;       // how long it took
};

struct Session {
  SessionModel model;
  std::vector<SessionPrompt> prompts;
  std::vector<SessionRun> runs;  // in the order they ran; every run is kept
  std::string window_json = "{}";

  // The index of `prompt` in prompts, adding it if it is new.
  int64_t add_prompt(const SessionPrompt& prompt);
};

extern const int64_t kSessionFormatVersion;

// The session's description of a loaded model: hashes every weights file
// (the .gguf file, or the folder's *.safetensors). Throws Error naming a file
// it cannot read.
SessionModel describe_model(const std::string& path, const ModelInfo& info, const std::string& device,
                            const std::string& dtype);
// The weights files of a model path, sorted (empty when there are none).
std::vector<std::string> weights_files(const std::string& path);
// "" when the weights of the model loaded now (`now`, from describe_model)
// are the session's; otherwise one line naming the first file that differs.
std::string weights_mismatch(const SessionModel& saved, const SessionModel& now);

// Atomic: the previous file stays intact until the new one is complete and on
// disk. Throws Error naming the file.
void write_session(const std::string& path, const Session& session);
// Throws Error naming the file and the problem (not a session, newer format,
// missing or malformed parts). Sessions of format 1 hold variable-length
// strings and read only with VariableLengthStrings::Read: for files the user
// trusts (`glassbox-cli session upgrade`).
Session read_session(const std::string& path,
                     h5::VariableLengthStrings strings = h5::VariableLengthStrings::Refuse);
// read_session for files from anywhere (the CLI and the window): the file is
// read once in a child process first (core/child_process.h), so that a crash
// or a hang inside libhdf5 on a damaged file becomes one Error naming it.
Session open_session(const std::string& path,
                     h5::VariableLengthStrings strings = h5::VariableLengthStrings::Refuse);

}  // namespace glassbox
