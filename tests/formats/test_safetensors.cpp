#include "core/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::TempDir;

// The 8-byte little-endian length prefix of a header of `n` bytes.
std::string length_prefix(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(n >> (8 * i));
  return bytes;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file with the given header text followed by `data_bytes` zero bytes.
std::string crafted(const TempDir& dir, const std::string& header, size_t data_bytes) {
  std::string path = dir.file("crafted.safetensors");
  write_bytes(path, length_prefix(header.size()) + header + std::string(data_bytes, '\0'));
  return path;
}

std::string error_opening(const std::string& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(opened without error)";
}

// The message must name the file and say what is wrong.
void expect_rejected(const std::string& path, const std::string& problem) {
  std::string message = error_opening(path);
  EXPECT_NE(message.find(path + ": "), std::string::npos) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
}

std::string one_f32(const std::string& offsets, const std::string& shape = "[2]") {
  return R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}";
}

TEST(Safetensors, RejectsFileShorterThanLengthPrefix) {
  TempDir dir;
  std::string path = dir.file("short.safetensors");
  write_bytes(path, std::string("\x02\0\0\0", 4));
  expect_rejected(path, "file is 4 bytes");
}

TEST(Safetensors, RejectsHeaderLengthOverLimit) {
  TempDir dir;
  std::string path = dir.file("huge.safetensors");
  write_bytes(path, length_prefix(100'000'001) + "{}");
  expect_rejected(path, "header length 100000001 exceeds the limit");
}

TEST(Safetensors, RejectsHeaderPastEndOfFile) {
  TempDir dir;
  std::string path = dir.file("cut.safetensors");
  write_bytes(path, length_prefix(64) + "{}");
  expect_rejected(path, "header of 64 bytes extends past the end of the file (10 bytes)");
}

TEST(Safetensors, RejectsInvalidUtf8) {
  TempDir dir;
  expect_rejected(crafted(dir, "{\"w\xC0\xAF\":1}", 0), "header is not valid UTF-8");  // overlong '/'
  expect_rejected(crafted(dir, "{\"\xED\xA0\x80\":1}", 0), "header is not valid UTF-8");  // surrogate
}

TEST(Safetensors, RejectsHeaderThatIsNotJson) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"w": {"dtype": )", 0), "header is not valid JSON");
}

TEST(Safetensors, RejectsHeaderThatIsNotAnObject) {
  TempDir dir;
  expect_rejected(crafted(dir, "[1, 2]", 0), "header is not a JSON object");
}

TEST(Safetensors, RejectsEntryThatIsNotAnObject) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"w": 3})", 0), "tensor 'w': header entry is not a JSON object");
}

TEST(Safetensors, RejectsEntryWithMissingKey) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"w":{"dtype":"F32","shape":[2]}})", 8), "tensor 'w': missing 'data_offsets'");
}

TEST(Safetensors, RejectsEntryWithExtraKey) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"order":"C"}})", 8),
                  "tensor 'w': unexpected key 'order'");
}

TEST(Safetensors, RejectsUnknownDtype) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"w":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})", 8),
                  "tensor 'w': unknown dtype 'F128'");
}

TEST(Safetensors, RejectsShapeWithNegativeOrFractionalDim) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[0,8]", "[-2]"), 8), "tensor 'w': shape [-2] has a dimension that is not");
  expect_rejected(crafted(dir, one_f32("[0,8]", "[2.0]"), 8), "tensor 'w': shape [2.0] has a dimension that is not");
  expect_rejected(crafted(dir, one_f32("[0,8]", "\"2\""), 8), "tensor 'w': shape is not an array");
}

TEST(Safetensors, RejectsShapeWhoseElementCountOverflows) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[0,8]", "[4294967296,4294967296]"), 8), "tensor 'w': shape");
  expect_rejected(crafted(dir, one_f32("[0,8]", "[4294967296,4294967296]"), 8), "has too many elements");
  // Fits in int64 as a count, overflows as a byte size.
  expect_rejected(crafted(dir, one_f32("[0,8]", "[4611686018427387904]"), 8), "has too many bytes");
}

TEST(Safetensors, RejectsOffsetsThatAreNotTwoIntegers) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[0]"), 8), "tensor 'w': data_offsets [0] is not two non-negative integers");
  expect_rejected(crafted(dir, one_f32("[0,-8]"), 8), "is not two non-negative integers");
  expect_rejected(crafted(dir, one_f32("[0,8.5]"), 8), "is not two non-negative integers");
}

TEST(Safetensors, RejectsOffsetsEndingBeforeTheyBegin) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[8,0]"), 8), "tensor 'w': data_offsets [8,0] end before they begin");
}

TEST(Safetensors, RejectsByteSizeThatDoesNotMatchShape) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[0,4]"), 4), "tensor 'w': data_offsets [0,4] span 4 bytes but F32 [2] needs 8");
}

TEST(Safetensors, RejectsDataNotStartingAtZero) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[4,12]"), 12), "tensor 'w': data begins at byte 4 but the data section starts at 0");
}

TEST(Safetensors, RejectsGapBetweenTensors) {
  TempDir dir;
  std::string header = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}})";
  expect_rejected(crafted(dir, header, 10), "tensor 'b': data begins at byte 6 but tensor 'a' ends at 4");
}

TEST(Safetensors, RejectsOverlappingTensors) {
  TempDir dir;
  std::string header = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})";
  expect_rejected(crafted(dir, header, 6), "tensor 'b': data begins at byte 2 but tensor 'a' ends at 4");
}

TEST(Safetensors, RejectsBufferLongerOrShorterThanTensors) {
  TempDir dir;
  expect_rejected(crafted(dir, one_f32("[0,8]"), 9), "tensors occupy 8 bytes but the data section after the header is 9");
  expect_rejected(crafted(dir, one_f32("[0,8]"), 7), "tensors occupy 8 bytes but the data section after the header is 7");
}

TEST(Safetensors, RejectsMetadataThatIsNotStringMap) {
  TempDir dir;
  expect_rejected(crafted(dir, R"({"__metadata__":["pt"]})", 0), "__metadata__ is not a JSON object");
  expect_rejected(crafted(dir, R"({"__metadata__":{"step":3}})", 0), "__metadata__ value 'step' is not a string");
}

TEST(Safetensors, RejectsDuplicateTensorNames) {
  TempDir dir;
  std::string header = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})";
  expect_rejected(crafted(dir, header, 8), "tensor 'a' appears twice in the header");
}

TEST(Safetensors, RejectsMissingFileAndFolder) {
  TempDir dir;
  expect_rejected(dir.file("absent.safetensors"), "cannot open");
  expect_rejected(dir.path(), "not a regular file");
}

TEST(Safetensors, AcceptsHeaderEntriesInAnyOrderAndEmptyTensors) {
  TempDir dir;
  std::string header = R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},)"
                       R"("empty":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]},)"
                       R"("a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                       R"("__metadata__":{"format":"pt"}})";
  std::string path = dir.file("ok.safetensors");
  write_bytes(path, length_prefix(header.size()) + header + "\x01\x02\x03\x04");
  auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(static_cast<int>(file->tensors().at("b").data[0]), 3);
  EXPECT_EQ(file->tensors().at("empty").numel(), 0);
  EXPECT_EQ(file->tensors().at("empty").nbytes, 0u);
  EXPECT_EQ(file->metadata().at("format"), "pt");
}

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  const std::vector<float> weights = {1.5f, -2.0f, 3.25f, 0.0f, 1e-8f, 7.0f};
  const std::vector<int64_t> ids = {-1, 0, 1LL << 40};
  const std::vector<uint16_t> halves = {0x3F80, 0xC000};  // BF16 1.0, -2.0
  write_safetensors(path,
                    {{"layer.weight", DType::F32, {2, 3}, weights.data(), weights.size() * 4},
                     {"ids", DType::I64, {3}, ids.data(), ids.size() * 8},
                     {"scalar_bf16", DType::BF16, {2}, halves.data(), halves.size() * 2}},
                    {{"format", "pt"}, {"note", "héllo"}});

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->path(), path);
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "héllo"}}));
  const TensorRecord& w = file->tensors().at("layer.weight");
  EXPECT_EQ(w.dtype, DType::F32);
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.numel(), 6);
  ASSERT_EQ(w.nbytes, weights.size() * 4);
  EXPECT_EQ(std::memcmp(w.data, weights.data(), w.nbytes), 0);
  const TensorRecord& i = file->tensors().at("ids");
  EXPECT_EQ(i.dtype, DType::I64);
  EXPECT_EQ(std::memcmp(i.data, ids.data(), i.nbytes), 0);
  const TensorRecord& h = file->tensors().at("scalar_bf16");
  EXPECT_EQ(h.dtype, DType::BF16);
  EXPECT_EQ(std::memcmp(h.data, halves.data(), h.nbytes), 0);

  // The header is space-padded so the data section is 8-byte aligned, as HF writes it.
  std::ifstream in(path, std::ios::binary);
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_EQ(std::filesystem::file_size(path), 8 + header_len + 6 * 4 + 3 * 8 + 2 * 2);
}

TEST(Safetensors, TensorDataPointsIntoTheMapping) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  const std::vector<float> values = {1, 2, 3, 4};
  write_safetensors(path, {{"w", DType::F32, {4}, values.data(), 16}});
  TensorRecord record;
  {
    auto file = SafetensorsFile::open(path);
    record = file->tensors().at("w");
    const MappedFile& mapping = *record.file;
    EXPECT_EQ(mapping.path(), path);
    EXPECT_GE(record.data, mapping.data());
    EXPECT_LE(record.data + record.nbytes, mapping.data() + mapping.size());
    EXPECT_EQ(record.data, mapping.data() + mapping.size() - 16);
  }
  // The record keeps the mapping alive after the file object is gone.
  EXPECT_EQ(std::memcmp(record.data, values.data(), 16), 0);
}

TEST(Safetensors, DtypeNamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::F8_E4M3), "F8_E4M3");
  EXPECT_EQ(dtype_size(DType::BOOL), 1u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
  EXPECT_EQ(dtype_size(DType::U32), 4u);
  EXPECT_EQ(dtype_size(DType::F64), 8u);
}

TEST(Safetensors, WriterRejectsWrongByteCountAndKeepsPreviousFile) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  const std::vector<float> values = {1, 2, 3};
  write_safetensors(path, {{"w", DType::F32, {3}, values.data(), 12}});
  try {
    write_safetensors(path, {{"w", DType::F32, {4}, values.data(), 12}});
    FAIL() << "wrote a tensor whose bytes do not match its shape";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": tensor 'w': 12 bytes given but the shape needs 16"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(SafetensorsFile::open(path)->tensors().at("w").numel(), 3);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporary left
}

TEST(Safetensors, WriterFailsInMissingFolderNamingTheFile) {
  TempDir dir;
  std::string path = dir.file("no/such/folder/model.safetensors");
  try {
    write_safetensors(path, {});
    FAIL() << "wrote into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
}

// A sharded checkpoint: two shard files and the index that maps tensors to them.
struct ShardedFolder {
  TempDir dir;
  std::vector<float> a = {1, 2}, b = {3, 4, 5};
  ShardedFolder(const nlohmann::json& weight_map) {
    write_safetensors(dir.file("model-00001-of-00002.safetensors"), {{"a", DType::F32, {2}, a.data(), 8}});
    write_safetensors(dir.file("model-00002-of-00002.safetensors"), {{"b", DType::F32, {3}, b.data(), 12}});
    std::ofstream(dir.file("model.safetensors.index.json")) << nlohmann::json{{"weight_map", weight_map}}.dump();
  }
  std::string index() const { return dir.file("model.safetensors.index.json"); }
};

const nlohmann::json kGoodMap = {{"a", "model-00001-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}};

std::string error_opening_dir(const std::string& dir) {
  try {
    Checkpoint::open_dir(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "(opened without error)";
}

TEST(Checkpoint, OpensShardedFolder) {
  ShardedFolder folder(kGoodMap);
  Checkpoint checkpoint = Checkpoint::open_dir(folder.dir.path());
  EXPECT_EQ(checkpoint.description(), folder.dir.path());
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(checkpoint.has("b"));
  EXPECT_FALSE(checkpoint.has("c"));
  const TensorRecord& b = checkpoint.get("b");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(std::memcmp(b.data, folder.b.data(), 12), 0);
  EXPECT_EQ(b.file->path(), folder.dir.file("model-00002-of-00002.safetensors"));
}

TEST(Checkpoint, OpensSingleFileFolderAndFile) {
  TempDir dir;
  const std::vector<float> w = {9, 8};
  write_safetensors(dir.file("model.safetensors"), {{"w", DType::F32, {2}, w.data(), 8}});
  Checkpoint from_dir = Checkpoint::open_dir(dir.path());
  EXPECT_EQ(std::memcmp(from_dir.get("w").data, w.data(), 8), 0);
  Checkpoint from_file = Checkpoint::open_file(dir.file("model.safetensors"));
  EXPECT_EQ(from_file.description(), dir.file("model.safetensors"));
  EXPECT_EQ(from_file.names(), std::vector<std::string>{"w"});
}

TEST(Checkpoint, MissingTensorErrorNamesCheckpointAndTensor) {
  ShardedFolder folder(kGoodMap);
  Checkpoint checkpoint = Checkpoint::open_dir(folder.dir.path());
  EXPECT_THROW(
      {
        try {
          checkpoint.get("lm_head.weight");
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), (folder.dir.path() + ": no tensor named 'lm_head.weight'").c_str());
          throw;
        }
      },
      Error);
}

TEST(Checkpoint, RejectsFolderWithoutWeights) {
  TempDir dir;
  EXPECT_EQ(error_opening_dir(dir.path()),
            dir.path() + ": no model.safetensors or model.safetensors.index.json in this folder");
}

TEST(Checkpoint, RejectsIndexWithoutWeightMap) {
  ShardedFolder folder(kGoodMap);
  std::ofstream(folder.index()) << R"({"metadata": {}})";
  EXPECT_EQ(error_opening_dir(folder.dir.path()), folder.index() + ": no \"weight_map\" object");
}

TEST(Checkpoint, RejectsTensorMissingFromItsShard) {
  ShardedFolder folder({{"a", "model-00002-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}});
  EXPECT_EQ(error_opening_dir(folder.dir.path()),
            folder.index() + ": tensor 'a' is mapped to shard 'model-00002-of-00002.safetensors', which does not contain it");
}

TEST(Checkpoint, RejectsTensorInTwoShards) {
  ShardedFolder folder(kGoodMap);
  write_safetensors(folder.dir.file("model-00002-of-00002.safetensors"),
                    {{"a", DType::F32, {2}, folder.a.data(), 8}, {"b", DType::F32, {3}, folder.b.data(), 12}});
  EXPECT_EQ(error_opening_dir(folder.dir.path()),
            folder.index() +
                ": tensor 'a' appears in both shard 'model-00001-of-00002.safetensors' and 'model-00002-of-00002.safetensors'");
}

TEST(Checkpoint, RejectsShardNamesOutsideTheFolder) {
  for (std::string shard : {"../model.safetensors", "/etc/passwd", "sub/../../x.safetensors", ""}) {
    ShardedFolder folder({{"a", "model-00001-of-00002.safetensors"}, {"b", shard}});
    EXPECT_EQ(error_opening_dir(folder.dir.path()),
              folder.index() + ": shard '" + shard + "' is not a file inside the model folder");
  }
}

// A downloaded folder is data: its links may not make Glassbox read files elsewhere.
TEST(Checkpoint, RejectsLinksThatLeaveTheModelFolder) {
  TempDir elsewhere;
  const std::vector<float> w = {9, 8};
  write_safetensors(elsewhere.file("secret.safetensors"), {{"w", DType::F32, {2}, w.data(), 8}});

  TempDir single;
  std::filesystem::create_symlink(elsewhere.file("secret.safetensors"), single.file("model.safetensors"));
  EXPECT_EQ(error_opening_dir(single.path()).rfind(single.file("model.safetensors") + ": is a link that resolves outside ", 0), 0u)
      << error_opening_dir(single.path());

  ShardedFolder sharded(kGoodMap);
  const std::string shard = sharded.dir.file("model-00002-of-00002.safetensors");
  std::filesystem::remove(shard);
  std::filesystem::create_symlink(elsewhere.file("secret.safetensors"), shard);
  EXPECT_EQ(error_opening_dir(sharded.dir.path()).rfind(shard + ": is a link that resolves outside ", 0), 0u)
      << error_opening_dir(sharded.dir.path());
}

// The Hugging Face cache keeps a snapshot's files as links into the repository's blobs/.
TEST(Checkpoint, FollowsHuggingFaceCacheLinksIntoTheRepositoryBlobs) {
  TempDir cache;
  const std::filesystem::path repository = cache.file("models--org--tiny");
  const std::filesystem::path snapshot = repository / "snapshots" / "0123abcd";
  std::filesystem::create_directories(snapshot);
  std::filesystem::create_directories(repository / "blobs");
  const std::vector<float> w = {9, 8};
  write_safetensors((repository / "blobs" / "4f2e").string(), {{"w", DType::F32, {2}, w.data(), 8}});
  std::filesystem::create_symlink("../../blobs/4f2e", snapshot / "model.safetensors");
  Checkpoint checkpoint = Checkpoint::open_dir(snapshot.string());
  EXPECT_EQ(std::memcmp(checkpoint.get("w").data, w.data(), 8), 0);
}

TEST(Checkpoint, NamesPickleWeightsItWillNotLoad) {
  TempDir dir;
  write_bytes(dir.file("pytorch_model.bin"), "pickle");
  EXPECT_EQ(error_opening_dir(dir.path()),
            dir.path() + ": only pickle weights (pytorch_model.bin): Glassbox reads safetensors and GGUF weights only, "
                         "never pickle, which can run code when loaded");
}

TEST(Checkpoint, ReportsBadShardByItsPath) {
  ShardedFolder folder(kGoodMap);
  std::string shard = folder.dir.file("model-00002-of-00002.safetensors");
  write_bytes(shard, "oops");
  EXPECT_EQ(error_opening_dir(folder.dir.path()).rfind(shard + ": file is 4 bytes", 0), 0u);
}

}  // namespace
}  // namespace glassbox
