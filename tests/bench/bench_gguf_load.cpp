// Opening a GGUF model: time and memory (issue 9 point 7). A plain program,
// not a Google Benchmark: one run interleaves, per repetition,
//   A     reading the file once: read() of every byte into a fresh buffer;
//   B     dequantizing every tensor to float32 with GgufFile::dequantize (the
//         multi-threaded path load_model uses), each into a fresh tensor;
//   load  glassbox::load_model(path) end to end (float32, CPU, tokenizer too);
// and takes the median of each. Targets: load <= 1.5 x (A + B), and the load's
// peak RSS growth, measured in a fresh child process (this program re-run with
// --child-peak), <= 1.25 x the dequantized float32 weights. The page cache is
// warm for all three (an untimed load runs first). Exits 1 when a target is
// missed, 2 on a usage or I/O error; the numbers are printed (and written with
// --json PATH) either way. A reads into a fresh anonymous mapping each time.
//
//   bench_gguf_load [--model FILE.gguf] [--reps N] [--json PATH]
#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/gguf.h"
#include "core/model.h"

#ifndef GLASSBOX_SMOLLM2_GGUF
#define GLASSBOX_SMOLLM2_GGUF ""
#endif

namespace {

constexpr double kTimeTarget = 1.5;
constexpr double kMemoryTarget = 1.25;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Peak resident set so far, in bytes (Linux reports ru_maxrss in KiB).
long long max_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;
}

// A: every byte of the file read() into a buffer allocated for this read.
double read_file_once(const std::string& path, size_t size) {
  const auto start = Clock::now();
  // A fresh anonymous mapping each time, so that every repetition pays for the
  // buffer's pages as a loader does (a reused heap block would already be resident).
  void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  char* buffer = static_cast<char*>(mapped);
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  const double elapsed = seconds_since(start);
  ::munmap(mapped, size);
  if (done != size) throw std::runtime_error(path + ": short read");
  return elapsed;
}

// B: every tensor dequantized into a fresh float32 tensor, all kept until the end.
double dequantize_all(const glassbox::GgufFile& file) {
  const auto start = Clock::now();
  std::vector<at::Tensor> values;
  values.reserve(file.tensors().size());
  for (const glassbox::GgufTensor& t : file.tensors()) {
    values.push_back(at::empty(t.shape, at::kFloat));
    file.dequantize(t, values.back().data_ptr<float>());
  }
  return seconds_since(start);
}

double load_once(const std::string& path) {
  const auto start = Clock::now();
  std::unique_ptr<glassbox::Model> model = glassbox::load_model(path);
  return seconds_since(start);
}

// The child: peak RSS growth of one load in a process that has loaded nothing.
int child_peak(const std::string& path) {
  at::empty({1}, at::kFloat);  // LibTorch's own start-up allocations come before "before"
  const long long before = max_rss_bytes();
  const auto start = Clock::now();
  std::unique_ptr<glassbox::Model> model = glassbox::load_model(path);
  const double elapsed = seconds_since(start);
  const long long after = max_rss_bytes();
  std::printf("%lld %lld %.6f\n", before, after, elapsed);
  return 0;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string self_path(const char* argv0) {
  std::vector<char> buf(4096);
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string(argv0);
}

std::string mib(double bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return s;
}

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " [--model FILE.gguf] [--reps N (>= 3)] [--json PATH]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = GLASSBOX_SMOLLM2_GGUF, json_path;
  int reps = 5;
  bool child = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) path = argv[++i];
    else if (arg == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (arg == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (arg == "--child-peak") child = true;
    else return usage(argv[0]);
  }
  if (path.empty() || reps < 3) return usage(argv[0]);
  try {
    if (child) return child_peak(path);

    const std::shared_ptr<glassbox::GgufFile> file = glassbox::GgufFile::open(path);
    size_t file_bytes = 0;
    {
      std::ifstream in(path, std::ios::binary | std::ios::ate);
      file_bytes = static_cast<size_t>(in.tellg());
    }
    long long weight_elements = 0;
    for (const glassbox::GgufTensor& t : file->tensors()) weight_elements += t.numel();
    const double weight_bytes = static_cast<double>(weight_elements) * 4;

    // Memory first, in a fresh process, before this one's page cache use matters.
    const std::string command = shell_quote(self_path(argv[0])) + " --child-peak --model " + shell_quote(path);
    FILE* pipe = ::popen(command.c_str(), "r");
    long long rss_before = 0, rss_after = 0;
    double child_seconds = 0;
    const int got = pipe ? std::fscanf(pipe, "%lld %lld %lf", &rss_before, &rss_after, &child_seconds) : 0;
    const int child_status = pipe ? ::pclose(pipe) : -1;
    if (got != 3 || child_status != 0) throw std::runtime_error("the --child-peak process failed: " + command);
    const double peak_growth = static_cast<double>(rss_after - rss_before);

    load_once(path);  // warm the page cache and the allocator
    std::vector<double> a, b, load;
    for (int r = 0; r < reps; ++r) {
      a.push_back(read_file_once(path, file_bytes));
      b.push_back(dequantize_all(*file));
      load.push_back(load_once(path));
    }
    const double ma = median(a), mb = median(b), ml = median(load);
    const double time_ratio = ml / (ma + mb);
    const double memory_ratio = peak_growth / weight_bytes;
    const bool time_ok = time_ratio <= kTimeTarget, memory_ok = memory_ratio <= kMemoryTarget;

    std::printf("GGUF load: %s (%s, %zu tensors, %lld weights), median of %d, %d threads\n", path.c_str(),
                mib(static_cast<double>(file_bytes)).c_str(), file->tensors().size(), weight_elements, reps,
                static_cast<int>(std::thread::hardware_concurrency()));
    std::printf("  %-34s %10.1f ms\n", "A  read the file once", ma * 1e3);
    std::printf("  %-34s %10.1f ms\n", "B  dequantize all to float32", mb * 1e3);
    std::printf("  %-34s %10.1f ms\n", "load_model (end to end)", ml * 1e3);
    std::printf("  %-34s %10.2f   (target <= %.2f) %s\n", "time ratio load / (A + B)", time_ratio, kTimeTarget,
                time_ok ? "ok" : "MISSED");
    std::printf("  %-34s %14s\n", "float32 weights", mib(weight_bytes).c_str());
    std::printf("  %-34s %14s\n", "peak RSS growth of load (child)", mib(peak_growth).c_str());
    std::printf("  %-34s %10.2f   (target <= %.2f) %s\n", "memory ratio peak / weights", memory_ratio,
                kMemoryTarget, memory_ok ? "ok" : "MISSED");

    if (!json_path.empty()) {
      nlohmann::json j = {
          {"model", path},
          {"file_bytes", file_bytes},
          {"tensors", file->tensors().size()},
          {"weight_elements", weight_elements},
          {"float32_weight_bytes", weight_bytes},
          {"repetitions", reps},
          {"threads", std::thread::hardware_concurrency()},
          {"read_file_s", {{"median", ma}, {"all", a}}},
          {"dequantize_s", {{"median", mb}, {"all", b}}},
          {"load_s", {{"median", ml}, {"all", load}}},
          {"time_ratio", time_ratio},
          {"time_target", kTimeTarget},
          {"time_ok", time_ok},
          {"child_rss_before_bytes", rss_before},
          {"child_peak_rss_bytes", rss_after},
          {"child_load_s", child_seconds},
          {"peak_rss_growth_bytes", peak_growth},
          {"memory_ratio", memory_ratio},
          {"memory_target", kMemoryTarget},
          {"memory_ok", memory_ok},
      };
      std::ofstream out(json_path);
      out << j.dump(2) << "\n";
      if (!out) throw std::runtime_error(json_path + ": could not write");
    }
    return time_ok && memory_ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_gguf_load: " << e.what() << "\n";
    return 2;
  }
}
