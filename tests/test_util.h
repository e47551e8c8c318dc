#pragma once
// Shared by the test suites: data paths, temporary folders, the device flag.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace glassbox::test {

inline std::string& device() {
  static std::string d = "cpu";
  return d;
}

inline std::string data(const std::string& relative) { return std::string(GLASSBOX_TEST_DATA) + "/" + relative; }
inline std::string resources(const std::string& relative) {
  return std::string(GLASSBOX_RESOURCES) + "/" + relative;
}

// A fresh empty folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "glassbox-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace glassbox::test
