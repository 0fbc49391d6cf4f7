// Expected failures (bad input) as values, not exceptions.
//
// An `Error` is written for the person who has to fix the input: it names the file, the
// line (1-based; 0 = unknown), the field path (e.g. `remediation_policies[1].max_attempts`)
// and says what is wrong and, where we can tell, what would be right.
//
//   Result<Duration> d = parse_duration("5 minutes");
//   if (!d) std::cerr << d.error().describe() << "\n";
//   // -> invalid duration "5 minutes": unexpected character ' ' at offset 1; write e.g. 5m
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace selfheal::core {

struct Error {
  Error() = default;
  explicit Error(std::string message_, std::string file_ = {}, int line_ = 0, int column_ = 0,
                 std::string field_ = {})
      : message(std::move(message_)),
        file(std::move(file_)),
        line(line_),
        column(column_),
        field(std::move(field_)) {}

  std::string message;  ///< What is wrong and how to fix it. Never empty.
  std::string file;     ///< Source file, or empty when the input had no file.
  int line = 0;         ///< 1-based line; 0 when unknown.
  int column = 0;       ///< 1-based column; 0 when unknown.
  std::string field;    ///< Dotted path of the offending field, or empty.

  /// `file:line:column: field: message`, omitting the parts that are unknown.
  std::string describe() const;
};

/// A list of errors collected while validating a whole input, so a user sees every
/// problem at once rather than one per run.
class Diagnostics {
 public:
  void add(Error e) { errors_.push_back(std::move(e)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<Error>& errors() const { return errors_; }
  void append(const Diagnostics& other) {
    errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  }
  /// Every error's describe(), one per line.
  std::string describe() const;

 private:
  std::vector<Error> errors_;
};

/// Either a value or an Error. Minimal stand-in for C++23 std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations that return nothing on success.
struct Ok {};
using Status = Result<Ok>;

}  // namespace selfheal::core
