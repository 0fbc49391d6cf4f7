// selfheal serve — not built yet (issue #7). It refuses clearly instead of pretending.
#include <boost/program_options.hpp>

#include "cli/command.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {

int cmd_serve(const Args& args, Io io) {
  po::options_description opts("usage: selfheal serve [options]");
  opts.add_options()("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("args", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("args", -1);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, hidden, pos, vm, io); rc >= 0) return rc;
  io.err << "selfheal serve: not available in this build yet\n";
  return kExitBadInput;
}

}  // namespace selfheal::cli
