// steer make: a steering vector from two prompt lists, saved as a llama.cpp
// control vector or safetensors; steer info: what such a file holds.
#include <iomanip>
#include <iostream>

#include "app/cli/cli.h"
#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/ablate.h"
#include "probes/steering.h"

namespace glassbox::cli {
namespace {

// --NAME TEXT (one prompt) or --NAME-file F (one prompt per non-empty line).
std::vector<std::vector<int64_t>> prompts_from_args(Args& args, const std::string& name, const Model& model) {
  const std::string file_key = name + "-file";
  if (args.has(name) == args.has(file_key))
    fail("command line", "give --" + name + " TEXT or --" + file_key + " F (one prompt per line), one of them");
  if (args.has(file_key)) return probes::read_reference_prompts(args.get(file_key), false, model);
  if (!model.tokenizer()) fail(model.dir(), "the model has no tokenizer; give --" + file_key + " with text prompts");
  std::vector<int64_t> ids = model.tokenizer()->encode(args.get(name));
  if (ids.empty()) fail("command line", "--" + name + " has no tokens");
  return {ids};
}

void print_vectors(const std::string& path, const std::vector<probes::SteeringVector>& vectors) {
  std::cout << path << ": " << vectors.size() << (vectors.size() == 1 ? " vector" : " vectors") << " of length "
            << vectors.front().values.size() << ", model hint '" << vectors.front().model_hint << "'\n";
  for (const probes::SteeringVector& v : vectors)
    std::cout << "  " << v.hook << "  layer " << v.layer << "  norm " << std::setprecision(6) << v.norm() << "\n";
}

int steer_make(Args& args) {
  auto model = load_model_from_args(args);
  const std::string hook = args.get("hook");
  const std::string out = args.get("out");
  const bool all_positions = args.flag("all-positions");
  const auto positive = prompts_from_args(args, "positive", *model);
  const auto negative = prompts_from_args(args, "negative", *model);
  args.finish();
  const probes::SteeringVector v = probes::make_steering_vector(*model, hook, positive, negative, !all_positions);
  probes::save_steering_vectors(out, {v});
  std::cout << "mean over " << positive.size() << " positive minus " << negative.size() << " negative prompts ("
            << (all_positions ? "all positions" : "last position") << ")\n";
  print_vectors(out, probes::load_steering_vectors(out, &model->info()));
  return 0;
}

int steer_info(Args& args) {
  const std::string path = args.positional("steering vector file (.gguf or .safetensors)");
  args.finish();
  print_vectors(path, probes::load_steering_vectors(path));
  return 0;
}

const bool registered = [] {
  const std::string make_usage =
      "--model PATH --hook blocks.L.hook_resid_pre (--positive TEXT | --positive-file F) "
      "(--negative TEXT | --negative-file F) [--all-positions] --out V.gguf|V.safetensors";
  register_command("steer make", make_usage, steer_make, [make_usage](Args&) {
    return "usage: glassbox-cli steer make " + make_usage +
           "\n\n"
           "The mean activation at the hook over the positive prompts minus over the negative ones (each prompt's "
           "last position, or its mean over all positions with --all-positions). A prompt file holds one prompt "
           "per line. .gguf writes a llama.cpp control vector (llama-cli --control-vector): block outputs only, "
           "blocks.L.hook_resid_pre is saved as direction.L-1 (= blocks.L-1.hook_resid_post); .safetensors keeps "
           "any hook.\n";
  });
  register_command("steer info", "V.gguf|V.safetensors", steer_info, [](Args&) {
    return std::string(
        "usage: glassbox-cli steer info V.gguf|V.safetensors\n\n"
        "The vectors of a steering file: hook, layer, length and norm (a control vector's direction.N is shown "
        "at blocks.N.hook_resid_post).\n");
  });
  return true;
}();

}  // namespace
}  // namespace glassbox::cli
