// Any byte string handed to the tokenizer.json reader must either build a
// tokenizer that encodes text into ids inside its vocabulary and decodes them
// again, or fail with Error.
#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_tokenizer.h"

using namespace glassbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch_file("tokenizer.json", fuzz::as_bytes(data, size));
  fuzz::parse_or_reject([&] {
    const auto tokenizer = Tokenizer::from_tokenizer_json(path);
    for (const char* text : {"Hello, world!", " the  cat\n\tsat 1234", "\xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 <s></s>"})
      fuzz::encode_and_decode(*tokenizer, text);
  });
  return 0;
}
