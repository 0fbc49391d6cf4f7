// Subcommand plumbing for the `selfheal` binary. Each subcommand lives in its own
// cmd_<name>.cpp and only wires libraries together.
//
// Exit codes (every subcommand): 0 ok, 1 an expectation or check failed, 2 bad input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace selfheal::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

/// Streams a subcommand writes to; tests pass string streams.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;  ///< one line for `selfheal --help`
  int (*run)(const Args& args, Io io);
};

/// Every subcommand, in the order `selfheal --help` lists them.
const std::vector<Command>& commands();

/// Parses `args` against `opts` (+ positionals). Returns -1 when the command should go on;
/// otherwise the exit code to return: 0 after printing `--help`, 2 after printing the
/// error and usage to io.err.
///
///   po::options_description opts("selfheal lint [options] FILE...");
///   opts.add_options()("help,h", "show this help")("files",
///   po::value<std::vector<std::string>>()); po::positional_options_description pos;
///   pos.add("files", -1); po::variables_map vm; if (int rc = parse_options(args, opts, pos, vm,
///   io); rc >= 0) return rc;
int parse_options(const Args& args, const boost::program_options::options_description& visible,
                  const boost::program_options::options_description& hidden,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map& vm, Io io);

/// parse_options with every positional argument collected under `positional` (a hidden
/// option, read back as `vm[positional].as<std::vector<std::string>>()`): the shape of
/// most subcommands. Same return convention.
///
///   po::variables_map vm;
///   if (int rc = parse_options(args, opts, "files", vm, io); rc >= 0) return rc;
int parse_options(const Args& args, const boost::program_options::options_description& visible,
                  const char* positional, boost::program_options::variables_map& vm, Io io);

/// The entry point behind main(): dispatches argv[1] to a subcommand.
int dispatch(int argc, const char* const* argv, Io io);

}  // namespace selfheal::cli
