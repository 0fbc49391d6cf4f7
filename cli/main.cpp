// selfheal: wiring only. See cli/command.hpp for the subcommands.
#include <iostream>

#include "cli/command.hpp"

int main(int argc, char** argv) {
  return selfheal::cli::dispatch(argc, argv, selfheal::cli::Io{std::cout, std::cerr});
}
