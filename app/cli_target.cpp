#include "app/cli_target.h"

#include "core/error.h"
#include "core/tokenizer.h"

namespace glassbox::cli {

std::optional<int64_t> target_from_args(Args& args, const Model& model) {
  if (args.has("target") && args.has("target-text")) fail("command line", "give --target or --target-text, not both");
  if (args.has("target")) {
    const int64_t id = args.integer("target");
    if (id < 0 || id >= model.info().d_vocab)
      fail("command line", "--target " + std::to_string(id) + " is outside the vocabulary [0, " +
                               std::to_string(model.info().d_vocab) + ")");
    return id;
  }
  if (!args.has("target-text")) return std::nullopt;
  const std::string text = args.get("target-text");
  if (!model.tokenizer()) fail(model.dir(), "the model folder has no tokenizer; use --target ID");
  const std::vector<int64_t> ids = model.tokenizer()->encode(text);
  if (ids.size() != 1)
    fail("command line", "--target-text '" + text + "' is " + std::to_string(ids.size()) +
                             " tokens; give text that is one token, or --target ID");
  return ids[0];
}

}  // namespace glassbox::cli
