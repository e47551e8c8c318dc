#include "core/gguf.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/error.h"

namespace glassbox {

namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;           // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 4;        // arrays of arrays, as deep as anyone writes them
// Smallest encodings, to refuse counts the file cannot hold before allocating.
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;         // key length, value type, a one-byte value

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;
  int64_t block_size;  // elements per block
  size_t block_bytes;
};

constexpr GgmlTypeInfo kGgmlTypes[] = {
    {GgmlType::F32, "F32", 1, 4},           {GgmlType::F16, "F16", 1, 2},
    {GgmlType::Q4_0, "Q4_0", 32, 18},       {GgmlType::Q4_1, "Q4_1", 32, 20},
    {GgmlType::Q5_0, "Q5_0", 32, 22},       {GgmlType::Q5_1, "Q5_1", 32, 24},
    {GgmlType::Q8_0, "Q8_0", 32, 34},       {GgmlType::Q8_1, "Q8_1", 32, 40},
    {GgmlType::Q2_K, "Q2_K", 256, 84},      {GgmlType::Q3_K, "Q3_K", 256, 110},
    {GgmlType::Q4_K, "Q4_K", 256, 144},     {GgmlType::Q5_K, "Q5_K", 256, 176},
    {GgmlType::Q6_K, "Q6_K", 256, 210},     {GgmlType::Q8_K, "Q8_K", 256, 292},
    {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66}, {GgmlType::IQ2_XS, "IQ2_XS", 256, 74},
    {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98}, {GgmlType::IQ1_S, "IQ1_S", 256, 50},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 18},   {GgmlType::IQ3_S, "IQ3_S", 256, 110},
    {GgmlType::IQ2_S, "IQ2_S", 256, 82},    {GgmlType::IQ4_XS, "IQ4_XS", 256, 136},
    {GgmlType::I8, "I8", 1, 1},             {GgmlType::I16, "I16", 1, 2},
    {GgmlType::I32, "I32", 1, 4},           {GgmlType::I64, "I64", 1, 8},
    {GgmlType::F64, "F64", 1, 8},           {GgmlType::IQ1_M, "IQ1_M", 256, 56},
    {GgmlType::BF16, "BF16", 1, 2},         {GgmlType::TQ1_0, "TQ1_0", 256, 54},
    {GgmlType::TQ2_0, "TQ2_0", 256, 66},    {GgmlType::MXFP4, "MXFP4", 32, 17},
};

const GgmlTypeInfo* find_ggml_type(uint32_t id) {
  for (const GgmlTypeInfo& info : kGgmlTypes)
    if (static_cast<uint32_t>(info.type) == id) return &info;
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType t) {
  const GgmlTypeInfo* info = find_ggml_type(static_cast<uint32_t>(t));
  if (!info) throw Error("unknown ggml type " + std::to_string(static_cast<uint32_t>(t)));
  return *info;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// ---------------------------------------------------------------- parsing

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes; i-- > 0;) value = (value << 8) | p[i];
  return value;
}

// Reads little-endian fields; every read is bounds-checked and a failure names
// the file and what was being read.
class Cursor {
 public:
  Cursor(const std::string& path, const unsigned char* data, size_t size) : path_(path), data_(data), size_(size) {}
  size_t position() const { return position_; }
  uint64_t remaining() const { return size_ - position_; }

  uint64_t read_uint(size_t bytes, const std::string& what) {
    return little_endian(skip(bytes, what), static_cast<int>(bytes));
  }
  uint32_t u32(const std::string& what) { return static_cast<uint32_t>(read_uint(4, what)); }
  uint64_t u64(const std::string& what) { return read_uint(8, what); }

  // A view into the mapping.
  std::string_view string(const std::string& what) {
    const uint64_t length = u64(what + " length");
    if (length > remaining())
      fail(path_, what + ": length " + std::to_string(length) + " extends past the end of the file (" +
                      std::to_string(remaining()) + " bytes left at byte " + std::to_string(position_) + ")");
    return {reinterpret_cast<const char*>(skip(static_cast<size_t>(length), what)), static_cast<size_t>(length)};
  }

  const unsigned char* skip(size_t bytes, const std::string& what) {
    need(bytes, what);
    const unsigned char* start = data_ + position_;
    position_ += bytes;
    return start;
  }

 private:
  void need(size_t bytes, const std::string& what) const {
    if (bytes > remaining())
      fail(path_, what + ": the file ends at byte " + std::to_string(size_) + ", before its " +
                      std::to_string(bytes) + " bytes");
  }

  const std::string& path_;
  const unsigned char* data_;
  size_t size_;
  size_t position_ = 0;
};

// Bytes of one scalar value; 0 for STRING and ARRAY, -1 for an unknown type.
int scalar_bytes(uint32_t type) {
  switch (static_cast<GgufValueType>(type)) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16: case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32: case GgufValueType::INT32: case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64: case GgufValueType::INT64: case GgufValueType::FLOAT64: return 8;
    case GgufValueType::STRING: case GgufValueType::ARRAY: return 0;
  }
  return -1;
}

uint32_t value_type(Cursor& in, const std::string& path, const std::string& what) {
  const uint32_t type = in.u32(what + " value type");
  if (scalar_bytes(type) < 0)
    fail(path, what + ": unknown value type " + std::to_string(type) + " (known: 0 to 12)");
  return type;
}

// Sets a scalar value of v.type from its raw little-endian bits.
void set_scalar(GgufValue& v, uint64_t raw) {
  const auto set_signed = [&v](int64_t value) {
    v.integer = value;
    v.unsigned_integer = value < 0 ? 0 : static_cast<uint64_t>(value);
    v.number = static_cast<double>(value);
  };
  switch (v.type) {
    case GgufValueType::UINT8: case GgufValueType::UINT16: case GgufValueType::UINT32: case GgufValueType::UINT64:
      v.unsigned_integer = raw;
      v.integer = raw > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(raw);
      v.number = static_cast<double>(raw);
      break;
    case GgufValueType::INT8: set_signed(static_cast<int8_t>(raw)); break;
    case GgufValueType::INT16: set_signed(static_cast<int16_t>(raw)); break;
    case GgufValueType::INT32: set_signed(static_cast<int32_t>(raw)); break;
    case GgufValueType::INT64: set_signed(static_cast<int64_t>(raw)); break;
    case GgufValueType::BOOL: set_signed(static_cast<int64_t>(raw)); break;
    case GgufValueType::FLOAT32: {
      const uint32_t bits = static_cast<uint32_t>(raw);
      float f;
      std::memcpy(&f, &bits, 4);
      v.number = f;
      break;
    }
    default:  // FLOAT64
      std::memcpy(&v.number, &raw, 8);
      break;
  }
}

// Arrays of arrays are held as values (about 200 bytes each); longer ones
// would let a small file claim gigabytes.
constexpr uint64_t kMaxNestedArrays = 1 << 16;

// Numeric and string arrays stay in the mapping (strings as views), so no
// claimed length costs more memory than the file's own bytes.
GgufValue read_value(Cursor& in, const std::string& path, uint32_t type, const std::string& what, int depth) {
  GgufValue v;
  v.type = static_cast<GgufValueType>(type);
  const int bytes = scalar_bytes(type);
  if (bytes > 0) {
    const uint64_t raw = in.read_uint(static_cast<size_t>(bytes), what);
    if (v.type == GgufValueType::BOOL && raw > 1)
      fail(path, what + ": bool value " + std::to_string(raw) + " is neither 0 nor 1");
    set_scalar(v, raw);
    return v;
  }
  if (v.type == GgufValueType::STRING) {
    v.string = std::string(in.string(what));
    return v;
  }
  // ARRAY: element type, count, elements.
  if (depth >= kMaxArrayNesting)
    fail(path, what + ": arrays nested more than " + std::to_string(kMaxArrayNesting) + " deep");
  const uint32_t element = value_type(in, path, what + " element");
  v.element_type = static_cast<GgufValueType>(element);
  const uint64_t count = in.u64(what + " array length");
  const int element_bytes = scalar_bytes(element);
  const uint64_t min_element_bytes = element_bytes > 0 ? static_cast<uint64_t>(element_bytes)
                                     : v.element_type == GgufValueType::STRING ? 8 : 12;
  if (count > in.remaining() / min_element_bytes)
    fail(path, what + ": array length " + std::to_string(count) + " extends past the end of the file (" +
                   std::to_string(in.remaining()) + " bytes left)");
  v.count = count;
  if (element_bytes > 0) {
    v.scalars = in.skip(static_cast<size_t>(count) * static_cast<size_t>(element_bytes), what);
    if (v.element_type == GgufValueType::BOOL) {
      for (uint64_t i = 0; i < count; ++i)
        if (v.scalars[i] > 1) fail(path, what + "[" + std::to_string(i) + "]: bool value is neither 0 nor 1");
    }
  } else if (v.element_type == GgufValueType::STRING) {
    v.strings.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) v.strings.push_back(in.string(what + "[" + std::to_string(i) + "]"));
  } else {
    if (count > kMaxNestedArrays)
      fail(path, what + ": " + std::to_string(count) + " nested arrays (at most " +
                     std::to_string(kMaxNestedArrays) + " are read)");
    v.arrays.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      v.arrays.push_back(read_value(in, path, element, what + "[" + std::to_string(i) + "]", depth + 1));
  }
  return v;
}

uint64_t align_up(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

// ---------------------------------------------------------------- dequantization
//
// Block layouts of ggml's quantized types (all little-endian; d, m, dmin are
// IEEE half floats). Each function turns `n` consecutive blocks into floats.

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: shift the leading one into the implicit bit
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t u16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t u32_at(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
float half_at(const uint8_t* p) { return half_to_float(u16_at(p)); }

using DequantizeBlocks = void (*)(const uint8_t* blocks, float* y, int64_t n);

void dequantize_f32(const uint8_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = u32_at(x + 4 * i);
    std::memcpy(y + i, &bits, 4);
  }
}

void dequantize_f16(const uint8_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = half_at(x + 2 * i);
}

void dequantize_bf16(const uint8_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = static_cast<uint32_t>(u16_at(x + 2 * i)) << 16;
    std::memcpy(y + i, &bits, 4);
  }
}

// Q4_0 / Q4_1: 32 weights, 4 bits each; byte j holds weight j (low nibble) and
// weight j + 16 (high nibble). Q4_0: d * (q - 8). Q4_1: d * q + m.
void dequantize_q4_0(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 18, y += 32) {
    const float d = half_at(x);
    const uint8_t* qs = x + 2;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>((qs[j] & 0x0F) - 8);
      y[j + 16] = d * static_cast<float>((qs[j] >> 4) - 8);
    }
  }
}

void dequantize_q4_1(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 20, y += 32) {
    const float d = half_at(x), m = half_at(x + 2);
    const uint8_t* qs = x + 4;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
      y[j + 16] = d * static_cast<float>(qs[j] >> 4) + m;
    }
  }
}

// Q5_0 / Q5_1: as Q4 with a fifth bit per weight in a 32-bit word (bit j for
// weight j). Q5_0: d * (q - 16). Q5_1: d * q + m.
void dequantize_q5_0(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 22, y += 32) {
    const float d = half_at(x);
    const uint32_t qh = u32_at(x + 2);
    const uint8_t* qs = x + 6;
    for (int j = 0; j < 16; ++j) {
      const int low = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int high = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = d * static_cast<float>(low - 16);
      y[j + 16] = d * static_cast<float>(high - 16);
    }
  }
}

void dequantize_q5_1(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 24, y += 32) {
    const float d = half_at(x), m = half_at(x + 2);
    const uint32_t qh = u32_at(x + 4);
    const uint8_t* qs = x + 8;
    for (int j = 0; j < 16; ++j) {
      const int low = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int high = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = d * static_cast<float>(low) + m;
      y[j + 16] = d * static_cast<float>(high) + m;
    }
  }
}

// Q8_0: 32 signed bytes times d.
void dequantize_q8_0(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 34, y += 32) {
    const float d = half_at(x);
    for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(static_cast<int8_t>(x[2 + j]));
  }
}

// Q2_K (84 bytes per 256 weights): scales[16] (low nibble scale, high nibble
// min, per 16 weights), qs[64] (2 bits each), d, dmin. Weight = d*scale*q -
// dmin*min. Each 32-byte half of qs holds 128 weights as four 2-bit planes.
void dequantize_q2_k(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 84) {
    const uint8_t* scales = x;
    const uint8_t* qs = x + 16;
    const float d = half_at(x + 80), dmin = half_at(x + 82);
    int group = 0;
    for (int half = 0; half < 2; ++half, qs += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part, ++group) {
          const float scale = d * static_cast<float>(scales[group] & 0x0F);
          const float min = dmin * static_cast<float>(scales[group] >> 4);
          for (int l = 0; l < 16; ++l) *y++ = scale * static_cast<float>((qs[16 * part + l] >> shift) & 3) - min;
        }
      }
    }
  }
}

// Q3_K (110 bytes per 256 weights): hmask[32] (the third bit, one bit plane
// per 32 weights), qs[64] (low 2 bits, as Q2_K), scales[12] (sixteen 6-bit
// signed scales, offset 32), d. Weight = d*scale*(q - 4 when the hmask bit is 0).
void dequantize_q3_k(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 110) {
    const uint8_t* hmask = x;
    const uint8_t* qs = x + 32;
    const uint8_t* packed = x + 96;
    const float d = half_at(x + 108);
    // Scale i: low 4 bits from byte i (i < 8) or the high nibble of byte i-8;
    // high 2 bits from byte 8 + i%4 at bit 2*(i/4).
    float scale[16];
    for (int i = 0; i < 16; ++i) {
      const int low = i < 8 ? packed[i] & 0x0F : packed[i - 8] >> 4;
      const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
      scale[i] = d * static_cast<float>((low | (high << 4)) - 32);
    }
    int group = 0, plane = 0;
    for (int half = 0; half < 2; ++half, qs += 32) {
      for (int shift = 0; shift < 8; shift += 2, ++plane) {
        for (int part = 0; part < 2; ++part, ++group) {
          for (int l = 0; l < 16; ++l) {
            const int index = 16 * part + l;
            const int q = ((qs[index] >> shift) & 3) - (((hmask[index] >> plane) & 1) ? 0 : 4);
            *y++ = scale[group] * static_cast<float>(q);
          }
        }
      }
    }
  }
}

// Q4_K / Q5_K share twelve bytes packing eight 6-bit scales and eight 6-bit
// mins (one pair per 32 weights).
void k_scale_min(const uint8_t* packed, int j, int& scale, int& min) {
  if (j < 4) {
    scale = packed[j] & 63;
    min = packed[j + 4] & 63;
  } else {
    scale = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
    min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

// Q4_K (144 bytes per 256 weights): d, dmin, scales[12], qs[128]; each 32
// bytes of qs hold 64 weights, low nibbles first. Weight = d*scale*q - dmin*min.
void dequantize_q4_k(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 144) {
    const float d = half_at(x), dmin = half_at(x + 2);
    const uint8_t* packed = x + 4;
    const uint8_t* qs = x + 16;
    for (int j = 0; j < 8; j += 2, qs += 32) {
      for (int nibble = 0; nibble < 2; ++nibble) {
        int sc, m;
        k_scale_min(packed, j + nibble, sc, m);
        const float scale = d * static_cast<float>(sc), min = dmin * static_cast<float>(m);
        for (int l = 0; l < 32; ++l) *y++ = scale * static_cast<float>((qs[l] >> (4 * nibble)) & 0x0F) - min;
      }
    }
  }
}

// Q5_K (176 bytes per 256 weights): as Q4_K plus qh[32], the fifth bit, one
// bit plane per 32 weights.
void dequantize_q5_k(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 176) {
    const float d = half_at(x), dmin = half_at(x + 2);
    const uint8_t* packed = x + 4;
    const uint8_t* qh = x + 16;
    const uint8_t* qs = x + 48;
    for (int j = 0; j < 8; j += 2, qs += 32) {
      for (int nibble = 0; nibble < 2; ++nibble) {
        int sc, m;
        k_scale_min(packed, j + nibble, sc, m);
        const float scale = d * static_cast<float>(sc), min = dmin * static_cast<float>(m);
        const int plane = j + nibble;
        for (int l = 0; l < 32; ++l) {
          const int q = ((qs[l] >> (4 * nibble)) & 0x0F) | (((qh[l] >> plane) & 1) << 4);
          *y++ = scale * static_cast<float>(q) - min;
        }
      }
    }
  }
}

// Q6_K (210 bytes per 256 weights): ql[128] (low 4 bits), qh[64] (high 2
// bits), scales[16] (signed, per 16 weights), d. Weight = d*scale*(q - 32).
// Each 128 weights use 64 bytes of ql and 32 of qh: weight l + 32k takes
// nibble k/2 of ql[l + 32*(k%2)] and bits 2k..2k+1 of qh[l].
void dequantize_q6_k(const uint8_t* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; ++b, x += 210) {
    const uint8_t* ql = x;
    const uint8_t* qh = x + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(x + 192);
    const float d = half_at(x + 208);
    for (int half = 0; half < 2; ++half, ql += 64, qh += 32, scales += 8, y += 128) {
      for (int k = 0; k < 4; ++k) {
        for (int l = 0; l < 32; ++l) {
          const int low = (ql[l + 32 * (k % 2)] >> (4 * (k / 2))) & 0x0F;
          const int high = (qh[l] >> (2 * k)) & 3;
          const float scale = d * static_cast<float>(scales[l / 16 + 2 * k]);
          y[32 * k + l] = scale * static_cast<float>((low | (high << 4)) - 32);
        }
      }
    }
  }
}

DequantizeBlocks dequantizer(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return dequantize_f32;
    case GgmlType::F16: return dequantize_f16;
    case GgmlType::BF16: return dequantize_bf16;
    case GgmlType::Q4_0: return dequantize_q4_0;
    case GgmlType::Q4_1: return dequantize_q4_1;
    case GgmlType::Q5_0: return dequantize_q5_0;
    case GgmlType::Q5_1: return dequantize_q5_1;
    case GgmlType::Q8_0: return dequantize_q8_0;
    case GgmlType::Q2_K: return dequantize_q2_k;
    case GgmlType::Q3_K: return dequantize_q3_k;
    case GgmlType::Q4_K: return dequantize_q4_k;
    case GgmlType::Q5_K: return dequantize_q5_k;
    case GgmlType::Q6_K: return dequantize_q6_k;
    default: return nullptr;
  }
}

}  // namespace

const char* gguf_value_type_name(GgufValueType t) {
  static const char* const kNames[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                       "bool",  "string", "array", "uint64", "int64",  "float64"};
  const auto index = static_cast<uint32_t>(t);
  return index < sizeof kNames / sizeof kNames[0] ? kNames[index] : "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16: case GgufValueType::INT16:
    case GgufValueType::UINT32: case GgufValueType::INT32: case GgufValueType::UINT64: case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

GgufValue GgufValue::element(size_t i) const {
  if (type != GgufValueType::ARRAY || !scalars || i >= count)
    throw Error("GgufValue::element: no numeric element " + std::to_string(i));
  GgufValue e;
  e.type = element_type;
  const int bytes = scalar_bytes(static_cast<uint32_t>(element_type));
  set_scalar(e, little_endian(scalars + i * static_cast<size_t>(bytes), bytes));
  return e;
}

bool GgufValue::is_number() const {
  return is_integer() || type == GgufValueType::FLOAT32 || type == GgufValueType::FLOAT64;
}

const char* ggml_type_name(GgmlType t) { return ggml_type_info(t).name; }
bool ggml_type_dequantizable(GgmlType t) { return dequantizer(t) != nullptr; }

int64_t GgufTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  auto result = std::make_shared<GgufFile>();
  result->file_ = std::make_shared<const MappedFile>(path);
  const MappedFile& file = *result->file_;
  const auto* bytes = reinterpret_cast<const unsigned char*>(file.data());
  Cursor in(path, bytes, file.size());

  if (file.size() < 4 || std::memcmp(bytes, "GGUF", 4) != 0)
    fail(path, "not a GGUF file (it does not start with the magic bytes 'GGUF')");
  in.u32("magic");
  const uint32_t version = in.u32("version");
  if (version != 2 && version != 3) {
    const uint32_t swapped = __builtin_bswap32(version);
    if (swapped == 2 || swapped == 3) fail(path, "big-endian GGUF files are not supported");
    fail(path, "GGUF version " + std::to_string(version) + " is not supported (versions 2 and 3 are)");
  }
  result->version_ = version;
  const uint64_t tensor_count = in.u64("tensor count");
  const uint64_t kv_count = in.u64("metadata count");
  if (tensor_count > in.remaining() / kMinTensorInfoBytes)
    fail(path, "tensor count " + std::to_string(tensor_count) + " is more than the file's " +
                   std::to_string(file.size()) + " bytes could describe");
  if (kv_count > in.remaining() / kMinKeyValueBytes)
    fail(path, "metadata count " + std::to_string(kv_count) + " is more than the file's " +
                   std::to_string(file.size()) + " bytes could hold");

  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key(in.string("metadata key " + std::to_string(i)));
    if (key.empty()) fail(path, "metadata key " + std::to_string(i) + " is empty");
    const std::string what = "metadata " + quoted(key);
    const uint32_t type = value_type(in, path, what);
    GgufValue value = read_value(in, path, type, what, 0);
    if (!result->metadata_.emplace(key, std::move(value)).second) fail(path, what + " appears twice");
  }
  if (const GgufValue* alignment = result->find("general.alignment")) {
    if (!alignment->is_integer() || alignment->integer <= 0 || (alignment->integer & (alignment->integer - 1)) != 0)
      fail(path, "metadata 'general.alignment' must be a positive power of two");
    result->alignment_ = static_cast<uint64_t>(alignment->integer);
  } else {
    result->alignment_ = kDefaultAlignment;
  }

  result->tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensor t;
    t.name = std::string(in.string("tensor " + std::to_string(i) + " name"));
    const std::string what = "tensor " + quoted(t.name);
    if (result->tensor_index_.count(t.name)) fail(path, what + " appears twice");
    const uint32_t n_dims = in.u32(what + " dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      fail(path, what + ": " + std::to_string(n_dims) + " dimensions (1 to " + std::to_string(kMaxDims) + " allowed)");
    uint64_t numel = 1;
    std::string dims_text;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim = in.u64(what + " dimension " + std::to_string(d));
      dims_text += (d ? "," : "") + std::to_string(dim);
      if (dim > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, dim, &numel) ||
          numel > static_cast<uint64_t>(INT64_MAX))
        fail(path, what + ": dimensions overflow (" + dims_text + (d + 1 < n_dims ? ",...)" : ")"));
      t.ne.push_back(static_cast<int64_t>(dim));
    }
    const uint32_t type_id = in.u32(what + " type");
    const GgmlTypeInfo* info = find_ggml_type(type_id);
    if (!info) fail(path, what + ": unknown tensor type " + std::to_string(type_id));
    t.type = info->type;
    if (t.ne[0] % info->block_size != 0)
      fail(path, what + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of " + info->name +
                     "'s block size " + std::to_string(info->block_size));
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel / static_cast<uint64_t>(info->block_size), info->block_bytes, &nbytes))
      fail(path, what + ": dimensions overflow (" + dims_text + ")");
    t.nbytes = static_cast<size_t>(nbytes);
    t.offset = in.u64(what + " offset");
    if (t.offset % result->alignment_ != 0)
      fail(path, what + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                     std::to_string(result->alignment_));
    t.shape.assign(t.ne.rbegin(), t.ne.rend());
    result->tensor_index_[t.name] = result->tensors_.size();
    result->tensors_.push_back(std::move(t));
  }

  const uint64_t data_start = align_up(in.position(), result->alignment_);
  if (data_start > file.size() && !result->tensors_.empty())
    fail(path, "the tensor data would start at byte " + std::to_string(data_start) + ", past the end of the file (" +
                   std::to_string(file.size()) + " bytes)");
  const uint64_t data_size = data_start > file.size() ? 0 : file.size() - data_start;
  std::vector<const GgufTensor*> by_offset;
  for (GgufTensor& t : result->tensors_) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      fail(path, "tensor " + quoted(t.name) + ": data [" + std::to_string(t.offset) + ", +" +
                     std::to_string(t.nbytes) + ") extends past the end of the file (data section is " +
                     std::to_string(data_size) + " bytes)");
    t.data = file.data() + data_start + t.offset;
    if (t.nbytes > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensor& previous = *by_offset[i - 1];
    if (previous.offset + previous.nbytes > by_offset[i]->offset)
      fail(path, "tensor " + quoted(by_offset[i]->name) + " at offset " + std::to_string(by_offset[i]->offset) +
                     " overlaps tensor " + quoted(previous.name) + " ([" + std::to_string(previous.offset) + ", +" +
                     std::to_string(previous.nbytes) + "))");
  }
  return result;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

int64_t GgufFile::integer(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail(path(), "missing metadata " + quoted(key));
  if (!v->is_integer()) fail(path(), "metadata " + quoted(key) + " is a " + gguf_value_type_name(v->type) + ", not an integer");
  return v->integer;
}

int64_t GgufFile::integer(const std::string& key, int64_t fallback) const {
  return find(key) ? integer(key) : fallback;
}

double GgufFile::number(const std::string& key, double fallback) const {
  const GgufValue* v = find(key);
  if (!v) return fallback;
  if (!v->is_number()) fail(path(), "metadata " + quoted(key) + " is a " + gguf_value_type_name(v->type) + ", not a number");
  return v->number;
}

bool GgufFile::flag(const std::string& key, bool fallback) const {
  const GgufValue* v = find(key);
  if (!v) return fallback;
  if (v->type != GgufValueType::BOOL) fail(path(), "metadata " + quoted(key) + " is a " + gguf_value_type_name(v->type) + ", not a bool");
  return v->integer != 0;
}

std::string GgufFile::string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail(path(), "missing metadata " + quoted(key));
  if (v->type != GgufValueType::STRING) fail(path(), "metadata " + quoted(key) + " is a " + gguf_value_type_name(v->type) + ", not a string");
  return v->string;
}

std::string GgufFile::string(const std::string& key, const std::string& fallback) const {
  return find(key) ? string(key) : fallback;
}

std::vector<std::string> GgufFile::strings(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return {};
  if (v->type != GgufValueType::ARRAY || v->element_type != GgufValueType::STRING)
    fail(path(), "metadata " + quoted(key) + " is not an array of strings");
  return std::vector<std::string>(v->strings.begin(), v->strings.end());
}

std::vector<double> GgufFile::numbers(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return {};
  if (v->type != GgufValueType::ARRAY || !v->scalars || v->element_type == GgufValueType::BOOL)
    fail(path(), "metadata " + quoted(key) + " is not an array of numbers");
  std::vector<double> out;
  out.reserve(static_cast<size_t>(v->count));
  for (uint64_t i = 0; i < v->count; ++i) out.push_back(v->element(static_cast<size_t>(i)).number);
  return out;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::dequantize(const GgufTensor& t, float* out, int threads) const {
  const DequantizeBlocks convert = dequantizer(t.type);
  if (!convert) {
    std::string supported;
    for (const GgmlTypeInfo& info : kGgmlTypes)
      if (dequantizer(info.type)) supported += (supported.empty() ? "" : ", ") + std::string(info.name);
    fail(path(), "tensor " + quoted(t.name) + " has type " + ggml_type_name(t.type) +
                     ", which is not supported (supported: " + supported + ")");
  }
  const GgmlTypeInfo& info = ggml_type_info(t.type);
  const int64_t blocks = t.numel() / info.block_size;
  const auto* src = reinterpret_cast<const uint8_t*>(t.data);
  // Threads only pay off for big tensors: at least this many blocks each.
  constexpr int64_t kMinBlocksPerThread = 1 << 14;
  int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n = static_cast<int>(std::clamp<int64_t>(blocks / kMinBlocksPerThread, 1, n));
  if (n == 1) {
    convert(src, out, blocks);
    return;
  }
  std::vector<std::thread> workers;
  const int64_t per_thread = (blocks + n - 1) / n;
  for (int64_t first = 0; first < blocks; first += per_thread) {
    const int64_t count = std::min(per_thread, blocks - first);
    workers.emplace_back(convert, src + first * static_cast<int64_t>(info.block_bytes), out + first * info.block_size,
                         count);
  }
  for (std::thread& worker : workers) worker.join();
}

void GgufFile::release(const GgufTensor& t) const {
  if (!t.data || t.nbytes == 0) return;
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  const auto page = static_cast<uintptr_t>(page_size);
  // Only pages wholly inside the tensor: its neighbours' bytes stay resident.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(t.data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(t.data) + t.nbytes) / page * page;
  // The mapping is private and read-only, so dropping its pages loses nothing.
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace glassbox
