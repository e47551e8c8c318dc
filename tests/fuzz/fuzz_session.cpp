// Any byte string handed to the session reader must either read as a session
// whose runs refer only to its prompts and whose weights files each have a
// hash, or fail with Error. The HDF5 library itself is not instrumented: its
// own parsing is exercised, but only the session reader steers the fuzzer.
#include "core/session.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch_file("input.gbx", fuzz::as_bytes(data, size));
  fuzz::parse_or_reject([&] {
    const Session session = read_session(path);
    fuzz::require(session.model.weights_files.size() == session.model.weights_sha256.size(),
                  "every weights file has a hash");
    for (const SessionRun& run : session.runs) {
      fuzz::require(run.prompt >= -1 && run.prompt < static_cast<int64_t>(session.prompts.size()),
                    "a run refers to one of the session's prompts, or none");
    }
  });
  return 0;
}
