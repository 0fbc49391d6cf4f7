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

bool takes_unsigned(const po::option_description& d) {
  const po::value_semantic* s = d.semantic().get();
  return dynamic_cast<const po::typed_value<unsigned>*>(s) != nullptr ||
         dynamic_cast<const po::typed_value<unsigned long>*>(s) != nullptr ||
         dynamic_cast<const po::typed_value<unsigned long long>*>(s) != nullptr;
}

// boost::lexical_cast reads "-1" as an unsigned number the way strtoul does, wrapped to the
// type's maximum: `sweep --runs -1` asked for 2^64 - 1 runs, `check --jobs=-1` for 4 billion
// threads. A sign is refused before the value is stored.
void refuse_negative_unsigned(const po::parsed_options& parsed,
                              const po::options_description& all) {
  for (const auto& o : parsed.options) {
    const po::option_description* d = all.find_nothrow(o.string_key, false);
    if (d == nullptr || !takes_unsigned(*d)) continue;
    for (const auto& v : o.value)
      if (v.find('-') != std::string::npos)
        throw po::error("the argument ('" + v + "') for option '--" + o.string_key +
                        "' is invalid: it must be a whole number >= 0");
  }
}

}  // namespace

int parse_options(const Args& args, const po::options_description& visible,
                  const po::options_description& hidden,
                  const po::positional_options_description& positional, po::variables_map& vm,
                  Io io) {
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    const po::parsed_options parsed =
        po::command_line_parser(args).options(all).positional(positional).run();
    refuse_negative_unsigned(parsed, all);
    po::store(parsed, vm);
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
