#pragma once
// SHA-256 of a file, to tell whether the weights a session was made with are
// the ones on disk now (FIPS 180-4).
#include <string>

namespace glassbox {

// Lower-case hex digest of the file's bytes; throws Error naming the file.
std::string sha256_file(const std::string& path);
// Lower-case hex digest of a byte string.
std::string sha256_hex(const std::string& bytes);

}  // namespace glassbox
