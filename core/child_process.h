#pragma once
// Reading a file once in a child process before trusting the library that
// reads it: Debian 12's libhdf5 1.10.8 crashes (out-of-bounds reads, null
// dereferences) and loops on some crafted HDF5 files, in code no check of ours
// runs before. The child takes the crash or the hang; the user gets one line.
// This contains failures; it is not a security sandbox (the child has the
// parent's rights).
#include <functional>
#include <string>

namespace glassbox {

// Runs `work` in a forked child process and waits at most `timeout_seconds`.
// Returns when it finished; throws its Error (the same message) when it threw
// one; otherwise throws Error naming `file`: the reading crashed (with the
// signal), ended without finishing, or ran past the timeout (the child is
// killed). `work` must touch no GUI state: the child only reads, then ends
// without running destructors or atexit handlers.
void run_in_child(const std::string& file, const std::function<void()>& work, double timeout_seconds);

}  // namespace glassbox
