#pragma once
// The last step of an atomic save, shared by the safetensors and HDF5 writers:
// the finished temporary file is made durable, then renamed over the target, so
// readers see either the old file or the complete new one.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace glassbox {

// Removes the "<target>.tmp-<pid>" files of writers that died before their
// commit (a crash, a kill), so that no half-written file stays behind.
inline void remove_abandoned_temporaries(const std::string& target) {
  const std::filesystem::path path(target);
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;
  const std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), ec);
  }
}

// Flushes `tmp` to disk and renames it to `target`; throws Error naming `target`.
inline void replace_file_durably(const std::string& tmp, const std::string& target) {
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    fail(target, std::string("cannot flush the temporary file: ") + std::strerror(err));
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), target.c_str()) != 0)
    fail(target, std::string("cannot rename the temporary file into place: ") + std::strerror(errno));
  // The rename itself is durable only once the folder is flushed.
  std::string folder = std::filesystem::path(target).parent_path().string();
  int dir_fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {  // without it the file is in place, just not yet durable
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  remove_abandoned_temporaries(target);
}

}  // namespace glassbox
