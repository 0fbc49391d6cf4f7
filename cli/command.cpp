#include "cli/command.hpp"

#include "cli/help_text.hpp"

#include <iostream>
#include <string_view>

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

void print_usage(std::ostream& os) {
  os << usage_text();
}

}  // namespace

int parse_options(const Args& args, const po::options_description& visible,
                  const po::options_description& hidden,
                  const po::positional_options_description& positional, po::variables_map& vm,
                  Io io) {
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help") != 0U) {
      io.out << visible;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "error: " << e.what() << "\n\n" << visible;
    return kExitBadInput;
  }
  return -1;
}

int parse_options(const Args& args, const po::options_description& visible, const char* positional,
                  po::variables_map& vm, Io io) {
  po::options_description hidden;
  hidden.add_options()(positional, po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add(positional, -1);
  return parse_options(args, visible, hidden, pos, vm, io);
}

int dispatch(int argc, const char* const* argv, Io io) {
  if (argc < 2) {
    print_usage(io.err);
    return kExitBadInput;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(io.out);
    return kExitOk;
  }
  if (first == "--version" || first == "-V") {
    io.out << version_line() << '\n';
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (first == c.name) {
      Args rest(argv + 2, argv + argc);
      return c.run(rest, io);
    }
  }
  io.err << "error: unknown command '" << first << "'\n\n";
  print_usage(io.err);
  return kExitBadInput;
}

}  // namespace selfheal::cli
