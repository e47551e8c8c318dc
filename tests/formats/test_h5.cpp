#include "core/h5.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "test_util.h"

namespace glassbox::h5 {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

using test::error_of;

// The message must start with the file and contain the problem.
void expect_error(const std::string& message, const std::string& file, const std::string& problem) {
  EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
}

size_t files_in(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(H5, RoundTripsNumericDatasetsOfAnyRank) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const std::vector<float> matrix = {1.5f, -2.0f, std::numeric_limits<float>::quiet_NaN(), 4.0f, 5.0f, 6.0f};
  const std::vector<double> cube = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  const std::vector<int64_t> tokens = {50256, -1, 1LL << 40};
  const double scalar = 3.25;
  {
    Writer w(path);
    w.dataset("/cache/blocks.0.hook_resid_pre", matrix.data(), {2, 3});
    w.dataset("/cube", cube.data(), {2, 2, 2});
    w.dataset("/tokens", tokens.data(), {3});
    w.dataset("/scalar", &scalar, {});
    w.dataset("/empty", static_cast<const float*>(nullptr), {0, 4});
    w.commit();
  }
  Reader r(path);
  EXPECT_EQ(r.path(), path);
  EXPECT_EQ(r.shape("/cache/blocks.0.hook_resid_pre"), (std::vector<int64_t>{2, 3}));
  std::vector<float> m = r.read_float("/cache/blocks.0.hook_resid_pre");
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0], 1.5f);
  EXPECT_TRUE(std::isnan(m[2]));
  EXPECT_EQ(m[5], 6.0f);
  EXPECT_EQ(r.kind("/cube"), Kind::Float);
  EXPECT_EQ(r.shape("/cube"), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(r.read_double("/cube"), cube);
  EXPECT_EQ(r.kind("/tokens"), Kind::Integer);
  EXPECT_EQ(r.read_int64("/tokens"), tokens);
  EXPECT_EQ(r.shape("/scalar"), std::vector<int64_t>{});
  EXPECT_EQ(r.read_double("/scalar"), std::vector<double>{3.25});
  EXPECT_EQ(r.shape("/empty"), (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(r.read_float("/empty").empty());
}

TEST(H5, RoundTripsUtf8StringsAndAttributes) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const std::vector<std::string> strings = {"Ġthe", "", "日本語", "L3H7", "tab\there"};
  {
    Writer w(path);
    w.group("/plots/attention");
    w.dataset("/token_strings", strings);
    w.attr("/", "glassbox_format", std::string("activation-cache"));
    w.attr("/", "format_version", int64_t{1});
    w.attr("/", "temperature", 0.75);
    w.attr("/plots/attention", "title", std::string("Attention — layer 0"));
    w.attr("/plots/attention", "title", std::string("replaced"));  // rewriting an attribute replaces it
    w.commit();
  }
  Reader r(path);
  EXPECT_EQ(r.kind("/token_strings"), Kind::String);
  EXPECT_EQ(r.shape("/token_strings"), std::vector<int64_t>{5});
  EXPECT_EQ(r.read_strings("/token_strings"), strings);
  EXPECT_EQ(r.attr_string("/", "glassbox_format"), "activation-cache");
  EXPECT_EQ(r.attr_int("/", "format_version"), 1);
  EXPECT_TRUE(r.has_attr("/", "temperature"));
  EXPECT_FALSE(r.has_attr("/", "missing"));
  EXPECT_FALSE(r.has_attr("/no/such/group", "title"));
  EXPECT_EQ(r.attr_string("/plots/attention", "title"), "replaced");
}

// Stored fixed-length and UTF-8, so that libhdf5 reads them without its global
// heap; a string as wide as the longest, the others padded with NULs.
TEST(H5, WritesStringsFixedLengthUtf8) {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  {
    Writer w(path);
    w.dataset("/words", std::vector<std::string>{"a", "日本語", ""});
    w.dataset("/none", std::vector<std::string>{});
    w.attr("/", "empty", std::string());
    w.commit();
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, "/words", H5P_DEFAULT);
  const hid_t type = H5Dget_type(dataset);
  EXPECT_EQ(H5Tis_variable_str(type), 0);
  EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8);
  EXPECT_EQ(H5Tget_size(type), std::string("日本語").size());
  H5Tclose(type);
  H5Dclose(dataset);
  H5Fclose(file);
  Reader r(path);
  EXPECT_EQ(r.read_strings("/words"), (std::vector<std::string>{"a", "日本語", ""}));
  EXPECT_TRUE(r.read_strings("/none").empty());
  EXPECT_EQ(r.attr_string("/", "empty"), "");
}

// Files of earlier Glassbox versions (and of other tools) may hold
// variable-length strings: refused by default, naming the object and the way
// out; read when the caller says the file is trusted.
TEST(H5, ReadsVariableLengthStringsOnlyWhenTrusted) {
  TempDir dir;
  const std::string path = dir.file("vlen.h5");
  {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hsize_t dims[] = {2};
    const hid_t space = H5Screate_simple(1, dims, nullptr), scalar = H5Screate(H5S_SCALAR);
    const char* words[] = {"old", "session"};
    const hid_t dataset = H5Dcreate2(file, "/words", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, words);
    const hid_t attribute = H5Acreate2(file, "kind", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, type, words);
    H5Aclose(attribute);
    H5Dclose(dataset);
    H5Sclose(scalar);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
  }
  const Reader refusing(path);
  expect_error(error_of([&] { refusing.read_strings("/words"); }), path,
               "dataset '/words' is a variable-length string, which Glassbox wrote before session format 2");
  expect_error(error_of([&] { refusing.attr_string("/", "kind"); }), path, "glassbox-cli session upgrade");
  const Reader trusting(path, VariableLengthStrings::Read);
  EXPECT_EQ(trusting.read_strings("/words"), (std::vector<std::string>{"old", "session"}));
  EXPECT_EQ(trusting.attr_string("/", "kind"), "old");
}

TEST(H5, ExistsAndChildren) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const float value = 1;
  {
    Writer w(path);
    w.dataset("/plots/b/data", &value, {1});
    w.dataset("/plots/a/data", &value, {1});
    w.group("/plots/c");
    w.group("/plots/c");  // creating an existing group is harmless
    w.dataset("/plots/readme", std::vector<std::string>{"x"});
    w.commit();
  }
  Reader r(path);
  EXPECT_TRUE(r.exists("/"));
  EXPECT_TRUE(r.exists("/plots"));
  EXPECT_TRUE(r.exists("/plots/a/data"));
  EXPECT_FALSE(r.exists("/plots/z/data"));
  EXPECT_FALSE(r.exists("/nothing/here/at/all"));
  EXPECT_FALSE(r.exists(""));
  EXPECT_EQ(r.children("/plots"), (std::vector<std::string>{"a", "b", "c", "readme"}));
  EXPECT_EQ(r.children("/plots/c"), std::vector<std::string>{});
  expect_error(error_of([&] { r.children("/nope"); }), path, "no group '/nope'");
  expect_error(error_of([&] { r.children("/plots/readme"); }), path, "'/plots/readme' is not a group");
}

TEST(H5, ReaderErrorsNameFileAndObject) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const float value = 1;
  {
    Writer w(path);
    w.dataset("/numbers", &value, {1});
    w.dataset("/words", std::vector<std::string>{"a"});
    w.attr("/numbers", "title", std::string("t"));
    w.commit();
  }
  Reader r(path);
  expect_error(error_of([&] { r.read_float("/missing"); }), path, "no dataset '/missing'");
  expect_error(error_of([&] { r.shape("/missing/deeper"); }), path, "no dataset '/missing/deeper'");
  expect_error(error_of([&] { r.read_float("/"); }), path, "'/' is not a dataset");
  expect_error(error_of([&] { r.read_float("/words"); }), path,
               "dataset '/words' holds strings, not floating-point numbers");
  expect_error(error_of([&] { r.read_int64("/numbers"); }), path,
               "dataset '/numbers' holds floating-point numbers, not integers");
  expect_error(error_of([&] { r.read_strings("/numbers"); }), path,
               "dataset '/numbers' holds floating-point numbers, not strings");
  expect_error(error_of([&] { r.attr_string("/numbers", "kind"); }), path, "'/numbers' has no attribute 'kind'");
  expect_error(error_of([&] { r.attr_string("/gone", "kind"); }), path, "no object '/gone'");
  expect_error(error_of([&] { r.attr_int("/numbers", "title"); }), path,
               "attribute 'title' of '/numbers' holds strings, not integers");
}

// Found by fuzz_session: a dataspace claiming 2^32 elements made read_int64
// allocate 32 GiB before HDF5 read anything. Chunked storage never written
// keeps such a file small; the reader must refuse the claim instead.
TEST(H5, RefusesExtentsLargerThanTheFile) {
  TempDir dir;
  const std::string path = dir.file("claims.h5");
  {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[] = {hsize_t(1) << 32}, chunk[] = {1024};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t chunked = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(chunked, 1, chunk);
    const hid_t string_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(string_type, H5T_VARIABLE);
    for (auto [name, type] : {std::pair<const char*, hid_t>{"/numbers", H5T_STD_I64LE}, {"/words", string_type}})
      H5Dclose(H5Dcreate2(file, name, type, space, H5P_DEFAULT, chunked, H5P_DEFAULT));
    H5Tclose(string_type);
    H5Pclose(chunked);
    H5Sclose(space);
    H5Fclose(file);
  }
  ASSERT_LT(fs::file_size(path), 100'000u);
  Reader r(path, VariableLengthStrings::Read);
  expect_error(error_of([&] { r.read_int64("/numbers"); }), path,
               "dataset '/numbers' claims 4294967296 elements of 8 bytes, more than the file");
  expect_error(error_of([&] { r.read_strings("/words"); }), path,
               "dataset '/words' claims 4294967296 elements of 1 bytes, more than the file");
}

TEST(H5, WriterErrorsNameFileAndObject) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const float value = 1;
  Writer w(path);
  w.dataset("/x", &value, {1});
  expect_error(error_of([&] { w.dataset("/x", &value, {1}); }), path, "cannot create dataset '/x'");
  expect_error(error_of([&] { w.dataset("/y", &value, {-1}); }), path, "dataset '/y': negative dimension");
  expect_error(error_of([&] { w.attr("/absent", "title", std::string("t")); }), path,
               "attribute 'title' of '/absent': no such object");
  expect_error(error_of([&] { w.group("/x/sub"); }), path, "cannot create group '/x/sub'");
}

TEST(H5, RejectsMissingNonHdf5AndTruncatedFiles) {
  TempDir dir;
  std::string missing = dir.file("missing.h5");
  expect_error(error_of([&] { Reader r(missing); }), missing, "no such file");

  std::string text = dir.file("notes.h5");
  std::ofstream(text) << "just some text, not HDF5";
  expect_error(error_of([&] { Reader r(text); }), text, "not an HDF5 file");

  std::string full = dir.file("full.h5");
  std::vector<double> values(4096, 1.0);
  {
    Writer w(full);
    w.dataset("/values", values.data(), {4096});
    w.commit();
  }
  std::string truncated = dir.file("truncated.h5");
  fs::copy_file(full, truncated);
  fs::resize_file(truncated, fs::file_size(full) / 2);
  expect_error(error_of([&] { Reader r(truncated); }), truncated, "truncated");
}

TEST(H5, UncommittedWriterLeavesNoFileAndKeepsPrevious) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  const int64_t first = 1, second = 2;
  {
    Writer w(path);
    w.dataset("/v", &first, {1});
  }
  EXPECT_EQ(files_in(dir.path()), 0u);  // neither target nor temporary

  {
    Writer w(path);
    w.dataset("/v", &first, {1});
    w.commit();
  }
  try {
    Writer w(path);
    w.dataset("/v", &second, {1});
    w.dataset("/v", &second, {1});  // fails: already exists
    w.commit();
  } catch (const Error&) {
  }
  EXPECT_EQ(files_in(dir.path()), 1u);
  EXPECT_EQ(Reader(path).read_int64("/v"), std::vector<int64_t>{1});
}

TEST(H5, CommitReplacesExistingFile) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  for (int64_t v : {int64_t{1}, int64_t{2}}) {
    Writer w(path);
    w.dataset("/v", &v, {1});
    w.commit();
  }
  EXPECT_EQ(Reader(path).read_int64("/v"), std::vector<int64_t>{2});
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(H5, WriterInMissingFolderNamesTheFile) {
  TempDir dir;
  std::string path = dir.file("no/such/out.h5");
  expect_error(error_of([&] { Writer w(path); }), path, "cannot create the temporary file");
}

}  // namespace
}  // namespace glassbox::h5
