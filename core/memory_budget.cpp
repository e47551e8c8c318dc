#include "core/memory_budget.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string_view>

#include "core/error.h"

namespace glassbox {

int64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? int64_t{pages} * page : 0;
}

int64_t parse_memory_budget(const std::string& text, const std::string& where) {
  const auto bad = [&]() -> int64_t {
    fail(where, "memory budget '" + text + "' is not a size like 25%, 6G, 512M or 800MiB");
  };
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return bad();
  }
  if (!std::isfinite(value) || value <= 0) return bad();
  std::string unit;
  for (char c : std::string_view(text).substr(used)) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit == "%") {
    if (value > 100) return bad();
    return static_cast<int64_t>(static_cast<double>(physical_memory_bytes()) * value / 100);
  }
  struct Unit {
    const char* names[3];
    double factor;
  };
  constexpr Unit units[] = {{{"", "B", "B"}, 1},
                            {{"K", "KB", "KIB"}, 1024.0},
                            {{"M", "MB", "MIB"}, 1024.0 * 1024},
                            {{"G", "GB", "GIB"}, 1024.0 * 1024 * 1024},
                            {{"T", "TB", "TIB"}, 1024.0 * 1024 * 1024 * 1024}};
  for (const Unit& u : units)
    for (const char* name : u.names)
      if (unit == name) {
        const double bytes = value * u.factor;
        if (bytes > 9.0e18) return bad();
        return static_cast<int64_t>(bytes);
      }
  return bad();
}

namespace {

std::string size_in(int64_t bytes, double base, const char* const (&units)[5]) {
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= base && unit + 1 < std::size(units)) {
    value /= base;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace

std::string binary_size(int64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  return size_in(bytes, 1024, units);
}

std::string decimal_size(int64_t bytes) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB"};
  return size_in(bytes, 1000, units);
}

}  // namespace glassbox
