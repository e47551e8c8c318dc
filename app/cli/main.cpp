// glassbox-cli: the headless front end.
#include <cstdio>
#include <exception>
#include <iostream>

#include "app/cli/cli.h"
#include "core/error.h"
#include "core/model.h"

using glassbox::cli::Args;
using glassbox::cli::commands;

static void print_usage() {
  std::cerr << "usage: glassbox-cli COMMAND [options]\n\ncommands:\n";
  for (const auto& [name, command] : commands()) std::cerr << "  " << name << " " << command.usage << "\n";
}

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  // "probe NAME", "train TASK", "session ACTION" and "steer ACTION" are two-word commands.
  std::string name = argv[1];
  int first = 2;
  if ((name == "probe" || name == "train" || name == "session" || name == "steer") && argc >= 3) {
    name += std::string(" ") + argv[2];
    first = 3;
  }
  auto it = commands().find(name);
  if (it == commands().end()) {
    std::cerr << "glassbox-cli: unknown command '" << name << "'\n";
    print_usage();
    return 2;
  }
  try {
    Args args(argc, argv, first);
    if (args.flag("help")) {
      std::cout << (it->second.help ? it->second.help(args) : "usage: glassbox-cli " + name + " " + it->second.usage + "\n");
      return 0;
    }
    glassbox::set_threads(static_cast<int>(args.integer("threads", 0)));
    return it->second.run(args);
  } catch (const glassbox::Error& e) {
    std::cerr << "glassbox-cli " << name << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // Library errors (LibTorch's carry a backtrace): one line is what a user reads.
    std::string what = e.what();
    std::cerr << "glassbox-cli " << name << ": " << what.substr(0, what.find('\n')) << "\n";
    return 1;
  }
}
