#pragma once
// How much memory a capture may take: a budget given as a size or a share of
// the machine's RAM (default 25%), and sizes written for people. No torch here:
// the GUI and the CLI both check captures against it before they run.
#include <cstdint>
#include <string>

namespace glassbox {

int64_t physical_memory_bytes();

// "25%" (of RAM), "6G", "6GiB", "512M", "800MB", "1.5G" or plain bytes; binary units.
// Throws Error naming `where` on anything else.
int64_t parse_memory_budget(const std::string& text, const std::string& where);

constexpr const char* kDefaultMemoryBudget = "25%";

// "1.4 GiB", "512.0 MiB", "900 B": memory.
std::string binary_size(int64_t bytes);
// "1.5 GB", "93.0 MB": files, as disk tools and the Hub show them.
std::string decimal_size(int64_t bytes);

}  // namespace glassbox
