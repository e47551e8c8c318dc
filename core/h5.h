#pragma once
// Minimal HDF5 access over the C API, for the files users get (activation
// caches, plot exports, sessions). Strings are UTF-8, fixed-length.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::h5 {

// Writes to "<path>.tmp-<pid>" and renames over `path` on commit(), so a crash
// mid-write leaves any previous file intact. Paths are absolute HDF5 paths
// ("/plots/x/data"); missing parent groups are created.
class Writer {
 public:
  explicit Writer(const std::string& path);
  ~Writer();  // without commit(): the temporary file is removed
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void group(const std::string& path);
  void dataset(const std::string& path, const float* data, const std::vector<int64_t>& shape);
  void dataset(const std::string& path, const double* data, const std::vector<int64_t>& shape);
  void dataset(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);
  void dataset(const std::string& path, const std::vector<std::string>& strings);
  void attr(const std::string& object, const std::string& name, const std::string& value);
  void attr(const std::string& object, const std::string& name, int64_t value);
  void attr(const std::string& object, const std::string& name, double value);
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_path_;
  int64_t file_ = -1;
  bool committed_ = false;
};

enum class Kind { Float, Integer, String, Other };

// Variable-length strings live in HDF5's global heap, whose references libhdf5
// 1.10 follows without checking them: a crafted file makes it read out of
// bounds or loop. Glassbox writes fixed-length strings and refuses the others,
// unless the caller was told the file is trusted (`session upgrade`).
enum class VariableLengthStrings { Refuse, Read };

class Reader {
 public:
  // Throws Error naming the file.
  explicit Reader(const std::string& path, VariableLengthStrings strings = VariableLengthStrings::Refuse);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  bool exists(const std::string& path) const;
  std::vector<std::string> children(const std::string& group) const;  // sorted names
  std::vector<int64_t> shape(const std::string& dataset) const;
  Kind kind(const std::string& dataset) const;
  std::vector<float> read_float(const std::string& dataset) const;
  std::vector<double> read_double(const std::string& dataset) const;
  std::vector<int64_t> read_int64(const std::string& dataset) const;
  std::vector<std::string> read_strings(const std::string& dataset) const;
  bool has_attr(const std::string& object, const std::string& name) const;
  std::string attr_string(const std::string& object, const std::string& name) const;
  int64_t attr_int(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  VariableLengthStrings strings_;
  int64_t file_ = -1;
};

// The linked HDF5 library's version, "1.10.8" (Help ▸ About).
std::string library_version();

}  // namespace glassbox::h5
