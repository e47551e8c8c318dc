#pragma once
// The boundary between the GUI and the model backend: loading a model,
// describing it, and tokenizing prompts. The GUI's other files see no tensors.
#include <memory>
#include <string>
#include <vector>

#include "app/gui_analysis.h"

namespace glassbox::gui {

struct LoadedModel {
  std::shared_ptr<const Model> model;  // shared with running jobs
  ModelSummary summary;
};

// Throws glassbox::Error naming the file and the problem.
LoadedModel load_model_for_gui(const std::string& dir, const std::string& device, const std::string& dtype);
// Like HF encode(text, add_special_tokens). A model without a tokenizer takes
// token ids ("0, 17, 42"). Throws Error on ids it cannot read.
Prompt tokenize_prompt(const Model& model, const std::string& text, bool add_special_tokens);
std::vector<int64_t> parse_token_ids(const std::string& text, int64_t vocab_size);
bool cuda_available();

}  // namespace glassbox::gui
