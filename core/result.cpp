#include "core/result.hpp"

namespace selfheal::core {

std::string Error::describe() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ':' + std::to_string(line);
      if (column > 0) out += ':' + std::to_string(column);
    }
    out += ": ";
  }
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

std::string Diagnostics::describe() const {
  std::string out;
  for (const auto& e : errors_)
    out += e.describe() + '\n';
  return out;
}

}  // namespace selfheal::core
