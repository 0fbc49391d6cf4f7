// The promote table as a person reads it (text), as a program reads it (JSON), and the
// policy change it recommends as a YAML snippet to paste into a policy file.
//
//   promote::write_text(std::cout, table);
//   std::cout << promote::policy_snippet(table);   // empty when nothing is promoted
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "promote/evidence.hpp"

namespace selfheal::promote {

void write_text(std::ostream& os, const Table& t);
nlohmann::json to_json(const Table& t);
/// For the promoted rows: the engine in auto mode, and per promoted incident type
/// `auto_execute: true` scoped to the services with evidence, each with its evidence as a
/// comment. Every other policy stays recommend-only (auto_execute false is the default).
std::string policy_snippet(const Table& t);

}  // namespace selfheal::promote
