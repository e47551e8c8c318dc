#include "core/h5.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <type_traits>

#include "core/atomic_file.h"
#include "core/error.h"

namespace glassbox::h5 {

static_assert(std::is_same_v<hid_t, int64_t>, "h5.h stores hid_t as int64_t");

namespace {

// Users see our one-line errors, not HDF5's stack dumps on stderr. The setting
// is per thread in thread-safe builds, so every entry point applies it.
void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The innermost HDF5 error message (e.g. "truncated file: eof = 96, ..."), or "".
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  return reason.empty() ? "" : " (" + reason + ")";
}

// Owns one HDF5 identifier and closes it with the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// UTF-8 strings of `width` bytes, padded with NULs. Glassbox writes fixed-length
// strings only: libhdf5 1.10 follows a variable-length string's global-heap
// reference without checking it (see Reader).
Handle utf8_string_type(size_t width) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(width, 1));
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

// `strings` laid end to end in slots of `width` bytes, NUL-padded.
std::vector<char> padded(const std::vector<std::string>& strings, size_t width) {
  std::vector<char> buffer(strings.size() * width, '\0');
  for (size_t i = 0; i < strings.size(); ++i) std::copy(strings[i].begin(), strings[i].end(), &buffer[i * width]);
  return buffer;
}

size_t longest(const std::vector<std::string>& strings) {
  size_t width = 1;
  for (const std::string& s : strings) width = std::max(width, s.size());
  return width;
}

Handle dataspace(const std::vector<int64_t>& shape) {
  if (shape.empty()) return Handle(H5Screate(H5S_SCALAR), H5Sclose);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

std::vector<int64_t> extent(hid_t space) {
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

// The file type each C++ element type is stored as, and its in-memory type.
template <typename T>
struct Stored;
template <>
struct Stored<float> {
  static hid_t file() { return H5T_IEEE_F32LE; }
  static hid_t memory() { return H5T_NATIVE_FLOAT; }
};
template <>
struct Stored<double> {
  static hid_t file() { return H5T_IEEE_F64LE; }
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
};
template <>
struct Stored<int64_t> {
  static hid_t file() { return H5T_STD_I64LE; }
  static hid_t memory() { return H5T_NATIVE_INT64; }
};

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Float: return "floating-point numbers";
    case Kind::Integer: return "integers";
    case Kind::String: return "strings";
    case Kind::Other: break;
  }
  return "an unsupported type";
}

Kind kind_of_type(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return Kind::Float;
    case H5T_INTEGER: return Kind::Integer;
    case H5T_STRING: return Kind::String;
    default: return Kind::Other;
  }
}

// The number of elements `space` claims for `what`, refused (Error naming the
// file) when the file is too small to hold that many of `stored_bytes` each:
// Glassbox writes its datasets uncompressed, so a damaged or hostile extent
// must not make the reader allocate whatever it claims.
size_t element_count(const std::string& file_path, hid_t space, size_t stored_bytes, const std::string& what) {
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(file_path, "cannot read the extent of " + what + hdf5_reason());
  std::error_code ec;
  const uintmax_t file_bytes = std::filesystem::file_size(file_path, ec);
  if (ec) fail(file_path, "cannot read the file's size (" + ec.message() + ")");
  if (static_cast<uintmax_t>(count) > file_bytes / std::max<size_t>(stored_bytes, 1))
    fail(file_path, what + " claims " + std::to_string(count) + " elements of " + std::to_string(stored_bytes) +
                        " bytes, more than the file (" + std::to_string(file_bytes) + " bytes) holds");
  return static_cast<size_t>(count);
}

// Reads the strings of a dataset or attribute (`what`). `read` transfers all
// elements into a buffer of the given memory type, or throws. Variable-length
// strings are read only when `strings` allows them.
std::vector<std::string> read_string_values(const std::string& file_path, const std::string& what, hid_t stored_type,
                                            hid_t space, VariableLengthStrings strings_allowed,
                                            const std::function<void(hid_t, void*)>& read) {
  const bool variable = H5Tis_variable_str(stored_type) > 0;
  if (variable && strings_allowed == VariableLengthStrings::Refuse)
    fail(file_path, what +
                        " is a variable-length string, which Glassbox wrote before session format 2 and no longer "
                        "reads from files (libhdf5 1.10 follows its heap reference unchecked); for a session from a "
                        "source you trust, `glassbox-cli session upgrade FILE` converts it");
  // A variable-length string takes at least one byte of the file.
  const size_t width = variable ? 1 : H5Tget_size(stored_type);
  const size_t count = element_count(file_path, space, width, what);
  // In the stored character set (libhdf5 converts none to another), padded
  // with NULs: a NUL-terminated slot of the same width would drop the last byte.
  Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory_type.get(), variable ? H5T_VARIABLE : width);
  H5Tset_cset(memory_type.get(), H5Tget_cset(stored_type));
  H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD);
  std::vector<std::string> strings;
  if (variable) {
    std::vector<char*> pointers(count, nullptr);
    if (count > 0) read(memory_type.get(), pointers.data());
    for (char* p : pointers) strings.emplace_back(p ? p : "");
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(memory_type.get(), space, H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, pointers.data());
#endif
  } else {
    std::vector<char> buffer(count * width);
    if (count > 0) read(memory_type.get(), buffer.data());
    for (size_t i = 0; i < count; ++i) {
      const char* s = buffer.data() + i * width;
      strings.emplace_back(s, std::find(s, s + width, '\0'));
    }
  }
  return strings;
}

// Link creation that makes missing parent groups on the way.
Handle creating_parents() {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8);
  return lcpl;
}

// Creates dataset `path` of `file_type` over `shape` and writes `data` (memory
// type `memory_type`) into it; fails naming the file and the dataset.
void write_dataset(const std::string& file_path, hid_t file, const std::string& path, hid_t file_type,
                   hid_t memory_type, const std::vector<int64_t>& shape, const void* data) {
  for (int64_t d : shape)
    if (d < 0) fail(file_path, "dataset " + in_quotes(path) + ": negative dimension");
  Handle space = dataspace(shape);
  Handle lcpl = creating_parents();
  Handle dataset(H5Dcreate2(file, path.c_str(), file_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid()) fail(file_path, "cannot create dataset " + in_quotes(path) + hdf5_reason());
  if (H5Sget_simple_extent_npoints(space.get()) > 0 &&
      H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail(file_path, "cannot write dataset " + in_quotes(path) + hdf5_reason());
}

template <typename T>
void write_numeric(const std::string& file_path, hid_t file, const std::string& path, const T* data,
                   const std::vector<int64_t>& shape) {
  write_dataset(file_path, file, path, Stored<T>::file(), Stored<T>::memory(), shape, data);
}

// Replaces attribute `name` of `object` with a scalar of `type` holding `value`.
void write_attr(const std::string& file_path, hid_t file, const std::string& object, const std::string& name,
                hid_t type, const void* value) {
  const std::string where = "attribute " + in_quotes(name) + " of " + in_quotes(object);
  Handle target(H5Oopen(file, object.c_str(), H5P_DEFAULT), H5Oclose);
  if (!target.valid()) fail(file_path, where + ": no such object" + hdf5_reason());
  if (H5Aexists(target.get(), name.c_str()) > 0) H5Adelete(target.get(), name.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle acpl(H5Pcreate(H5P_ATTRIBUTE_CREATE), H5Pclose);
  H5Pset_char_encoding(acpl.get(), H5T_CSET_UTF8);
  Handle attribute(H5Acreate2(target.get(), name.c_str(), type, space.get(), acpl.get(), H5P_DEFAULT), H5Aclose);
  if (!attribute.valid() || H5Awrite(attribute.get(), type, value) < 0)
    fail(file_path, "cannot write " + where + hdf5_reason());
}

// Opens the dataset at `path`, failing with a message that names file and object.
Handle open_dataset(const std::string& file_path, hid_t file, const std::string& path) {
  Handle object(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) fail(file_path, "no dataset " + in_quotes(path));
  if (H5Iget_type(object.get()) != H5I_DATASET) fail(file_path, in_quotes(path) + " is not a dataset");
  return object;
}

Handle open_attribute(const std::string& file_path, hid_t file, const std::string& object, const std::string& name) {
  if (H5Oexists_by_name(file, object.c_str(), H5P_DEFAULT) <= 0) fail(file_path, "no object " + in_quotes(object));
  Handle attribute(H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attribute.valid()) fail(file_path, in_quotes(object) + " has no attribute " + in_quotes(name));
  return attribute;
}

void require_kind(const std::string& file_path, const std::string& what, hid_t type, Kind wanted) {
  Kind actual = kind_of_type(type);
  if (actual != wanted) fail(file_path, what + " holds " + kind_name(actual) + ", not " + kind_name(wanted));
}

template <typename T>
std::vector<T> read_numeric(const std::string& file_path, hid_t file, const std::string& path, Kind wanted) {
  Handle dataset = open_dataset(file_path, file, path);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  require_kind(file_path, "dataset " + in_quotes(path), type.get(), wanted);
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<T> values(element_count(file_path, space.get(), H5Tget_size(type.get()), "dataset " + in_quotes(path)));
  if (!values.empty() &&
      H5Dread(dataset.get(), Stored<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail(file_path, "cannot read dataset " + in_quotes(path) + hdf5_reason());
  return values;
}

}  // namespace

Writer::Writer(const std::string& path) : path_(path), tmp_path_(path + ".tmp-" + std::to_string(::getpid())) {
  silence_hdf5_errors();
  file_ = H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) fail(path_, "cannot create the temporary file " + tmp_path_ + hdf5_reason());
}

Writer::~Writer() {
  if (file_ >= 0) H5Fclose(file_);
  if (!committed_) std::remove(tmp_path_.c_str());
}

void Writer::group(const std::string& path) {
  if (path == "/" || H5Lexists(file_, path.c_str(), H5P_DEFAULT) > 0) return;
  Handle lcpl = creating_parents();
  Handle created(H5Gcreate2(file_, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!created.valid()) fail(path_, "cannot create group " + in_quotes(path) + hdf5_reason());
}

void Writer::dataset(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  write_numeric(path_, file_, path, data, shape);
}

void Writer::dataset(const std::string& path, const double* data, const std::vector<int64_t>& shape) {
  write_numeric(path_, file_, path, data, shape);
}

void Writer::dataset(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape) {
  write_numeric(path_, file_, path, data, shape);
}

void Writer::dataset(const std::string& path, const std::vector<std::string>& strings) {
  const size_t width = longest(strings);
  Handle type = utf8_string_type(width);
  write_dataset(path_, file_, path, type.get(), type.get(), {static_cast<int64_t>(strings.size())},
                padded(strings, width).data());
}

void Writer::attr(const std::string& object, const std::string& name, const std::string& value) {
  const size_t width = longest({value});
  Handle type = utf8_string_type(width);
  write_attr(path_, file_, object, name, type.get(), padded({value}, width).data());
}

void Writer::attr(const std::string& object, const std::string& name, int64_t value) {
  write_attr(path_, file_, object, name, H5T_STD_I64LE, &value);
}

void Writer::attr(const std::string& object, const std::string& name, double value) {
  write_attr(path_, file_, object, name, H5T_IEEE_F64LE, &value);
}

void Writer::commit() {
  if (committed_) return;
  herr_t closed = H5Fclose(file_);
  file_ = -1;
  if (closed < 0) fail(path_, "cannot finish writing the temporary file " + tmp_path_ + hdf5_reason());
  replace_file_durably(tmp_path_, path_);
  committed_ = true;
}

Reader::Reader(const std::string& path, VariableLengthStrings strings) : path_(path), strings_(strings) {
  silence_hdf5_errors();
  if (!std::filesystem::is_regular_file(path)) fail(path, "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "not an HDF5 file");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) fail(path, "cannot open the HDF5 file; it may be truncated or damaged" + hdf5_reason());
}

Reader::~Reader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool Reader::exists(const std::string& path) const {
  if (path.empty()) return false;
  if (path == "/") return true;
  // H5Lexists needs every parent to exist, so check the path one level at a time.
  std::string prefix;
  size_t start = path.front() == '/' ? 1 : 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    prefix += "/" + path.substr(start, end - start);
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = end + 1;
  }
  return H5Oexists_by_name(file_, path.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Reader::children(const std::string& group) const {
  if (!exists(group)) fail(path_, "no group " + in_quotes(group));
  Handle opened(H5Oopen(file_, group.c_str(), H5P_DEFAULT), H5Oclose);
  if (H5Iget_type(opened.get()) != H5I_GROUP) fail(path_, in_quotes(group) + " is not a group");
  std::vector<std::string> names;
  H5Literate(
      opened.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<int64_t> Reader::shape(const std::string& dataset) const {
  Handle opened = open_dataset(path_, file_, dataset);
  Handle space(H5Dget_space(opened.get()), H5Sclose);
  return extent(space.get());
}

Kind Reader::kind(const std::string& dataset) const {
  Handle opened = open_dataset(path_, file_, dataset);
  Handle type(H5Dget_type(opened.get()), H5Tclose);
  return kind_of_type(type.get());
}

std::vector<float> Reader::read_float(const std::string& dataset) const {
  return read_numeric<float>(path_, file_, dataset, Kind::Float);
}

std::vector<double> Reader::read_double(const std::string& dataset) const {
  return read_numeric<double>(path_, file_, dataset, Kind::Float);
}

std::vector<int64_t> Reader::read_int64(const std::string& dataset) const {
  return read_numeric<int64_t>(path_, file_, dataset, Kind::Integer);
}

std::vector<std::string> Reader::read_strings(const std::string& dataset) const {
  const std::string what = "dataset " + in_quotes(dataset);
  Handle opened = open_dataset(path_, file_, dataset);
  Handle type(H5Dget_type(opened.get()), H5Tclose);
  require_kind(path_, what, type.get(), Kind::String);
  Handle space(H5Dget_space(opened.get()), H5Sclose);
  return read_string_values(path_, what, type.get(), space.get(), strings_, [&](hid_t memory_type, void* buffer) {
    if (H5Dread(opened.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0)
      fail(path_, "cannot read " + what + hdf5_reason());
  });
}

bool Reader::has_attr(const std::string& object, const std::string& name) const {
  return exists(object) && H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::string Reader::attr_string(const std::string& object, const std::string& name) const {
  const std::string what = "attribute " + in_quotes(name) + " of " + in_quotes(object);
  Handle attribute = open_attribute(path_, file_, object, name);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  require_kind(path_, what, type.get(), Kind::String);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  auto strings = read_string_values(path_, what, type.get(), space.get(), strings_, [&](hid_t memory_type, void* buffer) {
    if (H5Aread(attribute.get(), memory_type, buffer) < 0) fail(path_, "cannot read " + what + hdf5_reason());
  });
  if (strings.size() != 1) fail(path_, what + " holds " + std::to_string(strings.size()) + " strings, not one");
  return strings.front();
}

namespace {

// One number of attribute `name`, stored as `kind`, read as memory type `memory`.
template <typename T>
T read_scalar_attr(const std::string& file_path, hid_t file, const std::string& object, const std::string& name,
                   Kind kind, hid_t memory) {
  const std::string what = "attribute " + in_quotes(name) + " of " + in_quotes(object);
  Handle attribute = open_attribute(file_path, file, object, name);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  require_kind(file_path, what, type.get(), kind);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) fail(file_path, what + " is not a single number");
  T value{};
  if (H5Aread(attribute.get(), memory, &value) < 0) fail(file_path, "cannot read " + what + hdf5_reason());
  return value;
}

}  // namespace

int64_t Reader::attr_int(const std::string& object, const std::string& name) const {
  return read_scalar_attr<int64_t>(path_, file_, object, name, Kind::Integer, H5T_NATIVE_INT64);
}

double Reader::attr_double(const std::string& object, const std::string& name) const {
  return read_scalar_attr<double>(path_, file_, object, name, Kind::Float, H5T_NATIVE_DOUBLE);
}

std::string library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace glassbox::h5
