// Any byte string handed to the session reader must either read as a session
// whose runs refer only to its prompts and whose weights files each have a
// hash, or fail with Error. The HDF5 library itself is not instrumented: its
// own parsing is exercised, but only the session reader steers the fuzzer.
#include "core/session.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

// Debian 12's libhdf5 (1.10.8) has bugs of its own on malformed files, outside
// what the session reader can check: it leaks on some error paths and
// allocates whatever size the file claims (testing for NULL). Reported, each
// would end the run at the first such file, so they are not: the fuzzer is
// after the session reader. (Its worst, out-of-bounds reads in H5HG_read on a
// variable-length string's global-heap object, the reader no longer reaches:
// it refuses variable-length strings; see h5::VariableLengthStrings.)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
extern "C" const char* __asan_default_suppressions() { return "interceptor_via_lib:libhdf5\n"; }
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5\n"; }

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
