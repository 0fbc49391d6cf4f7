// Mirrors Prometheus's lexer decisions where they change meaning: a number immediately
// followed by a unit letter is a duration; `inf`/`nan` in any case are numbers; strings use
// Go's escape rules. Errors are thrown as ParseError and turned into a Result by parse().
#include "promql/lexer.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace selfheal::promql::detail {
namespace {

bool is_alpha(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

constexpr std::uint32_t kMaxCodePoint = 0x10FFFF;
/// Prometheus durations are Go time.Duration (int64 nanoseconds): at most ~292 years.
constexpr std::int64_t kMaxDurationMs = std::numeric_limits<std::int64_t>::max() / 1'000'000;

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t;
      t.pos = i_;
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      lex_one(t);
      t.raw = s_.substr(t.pos, i_ - t.pos);
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_space() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i_;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n')
          ++i_;
      } else {
        return;
      }
    }
  }

  bool peek_is(char c, std::size_t ahead = 0) const {
    return i_ + ahead < s_.size() && s_[i_ + ahead] == c;
  }

  void lex_one(Token& t) {
    char c = s_[i_];
    if (is_digit(c) || (c == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
      lex_number_or_duration(t);
      return;
    }
    if (is_alpha(c) || c == ':') {
      std::size_t start = i_;
      while (i_ < s_.size() && (is_alnum(s_[i_]) || s_[i_] == ':'))
        ++i_;
      std::string_view word = s_.substr(start, i_ - start);
      if (iequals(word, "inf")) {
        t.kind = Tok::kNumber;
        t.number = std::numeric_limits<double>::infinity();
      } else if (iequals(word, "nan")) {
        t.kind = Tok::kNumber;
        t.number = std::numeric_limits<double>::quiet_NaN();
      } else {
        t.kind = Tok::kIdent;
      }
      return;
    }
    if (c == '"' || c == '\'' || c == '`') {
      lex_string(t, c);
      return;
    }
    lex_operator(t, c);
  }

  void lex_operator(Token& t, char c) {
    auto two = [&](char next, Tok yes, Tok no) {
      if (peek_is(next, 1)) {
        i_ += 2;
        t.kind = yes;
      } else {
        ++i_;
        t.kind = no;
      }
    };
    switch (c) {
      case '(':
        t.kind = Tok::kLParen;
        ++i_;
        return;
      case ')':
        t.kind = Tok::kRParen;
        ++i_;
        return;
      case '{':
        t.kind = Tok::kLBrace;
        ++i_;
        return;
      case '}':
        t.kind = Tok::kRBrace;
        ++i_;
        return;
      case '[':
        t.kind = Tok::kLBracket;
        ++i_;
        return;
      case ']':
        t.kind = Tok::kRBracket;
        ++i_;
        return;
      case ',':
        t.kind = Tok::kComma;
        ++i_;
        return;
      case '@':
        t.kind = Tok::kAt;
        ++i_;
        return;
      case '+':
        t.kind = Tok::kAdd;
        ++i_;
        return;
      case '-':
        t.kind = Tok::kSub;
        ++i_;
        return;
      case '*':
        t.kind = Tok::kMul;
        ++i_;
        return;
      case '/':
        t.kind = Tok::kDiv;
        ++i_;
        return;
      case '%':
        t.kind = Tok::kMod;
        ++i_;
        return;
      case '^':
        t.kind = Tok::kPow;
        ++i_;
        return;
      case '>':
        two('=', Tok::kGe, Tok::kGt);
        return;
      case '<':
        two('=', Tok::kLe, Tok::kLt);
        return;
      case '=':
        if (peek_is('=', 1)) {
          t.kind = Tok::kEqlc;
          i_ += 2;
        } else if (peek_is('~', 1)) {
          t.kind = Tok::kReMatch;
          i_ += 2;
        } else {
          t.kind = Tok::kAssign;
          ++i_;
        }
        return;
      case '!':
        if (peek_is('=', 1)) {
          t.kind = Tok::kNeq;
          i_ += 2;
          return;
        }
        if (peek_is('~', 1)) {
          t.kind = Tok::kReNotMatch;
          i_ += 2;
          return;
        }
        fail_at(i_, "unexpected character '!'");
      default:
        break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      fail_at(i_, "unexpected byte 0x" + std::string{"0123456789abcdef"[(c >> 4) & 0xF]} +
                      std::string{"0123456789abcdef"[c & 0xF]});
    }
    fail_at(i_, std::string("unexpected character '") + c + "'");
  }

  void lex_number_or_duration(Token& t) {
    std::size_t start = i_;
    // A duration: digits followed by a unit letter, repeated, then a non-alphanumeric.
    std::size_t j = i_;
    while (j < s_.size() && is_digit(s_[j]))
      ++j;
    if (j > i_ && j < s_.size() &&
        std::string_view("smhdwy").find(s_[j]) != std::string_view::npos) {
      std::size_t end = j;
      while (end < s_.size() && (is_alnum(s_[end])))
        ++end;
      std::string_view text = s_.substr(start, end - start);
      if (!parse_duration(text, &t.duration))
        fail_at(start, "bad duration '" + std::string(text) + "'");
      i_ = end;
      t.kind = Tok::kDuration;
      return;
    }
    std::string digits = "0123456789";
    bool hex = false;
    if (peek_is('0') && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
      hex = true;
      i_ += 2;
      digits = "0123456789abcdefABCDEF";
    }
    while (i_ < s_.size() && digits.find(s_[i_]) != std::string::npos)
      ++i_;
    if (!hex && peek_is('.')) {
      ++i_;
      while (i_ < s_.size() && is_digit(s_[i_]))
        ++i_;
    }
    if (!hex && i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      while (i_ < s_.size() && is_digit(s_[i_]))
        ++i_;
    }
    std::string_view text = s_.substr(start, i_ - start);
    if (i_ < s_.size() && is_alnum(s_[i_])) {
      fail_at(start, "bad number or duration syntax '" + std::string(text) + s_[i_] + "'");
    }
    t.kind = Tok::kNumber;
    if (hex) {
      if (text.size() <= 2) fail_at(start, "bad number '" + std::string(text) + "'");
      double v = 0;
      for (char h : text.substr(2))
        v = v * 16 + hex_value(h);
      t.number = v;
      return;
    }
    std::string copy(text);
    char* end = nullptr;
    t.number = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) fail_at(start, "bad number '" + copy + "'");
  }

  // Go's strconv.Unquote rules: \a \b \f \n \r \t \v \\ \' \" \xNN \NNN \uNNNN \UNNNNNNNN;
  // backquoted strings are raw.
  void lex_string(Token& t, char quote) {
    std::size_t start = i_;
    ++i_;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail_at(start, "unterminated quoted string");
      char c = s_[i_];
      if (c == quote) {
        ++i_;
        break;
      }
      if (quote != '`' && c == '\n') fail_at(start, "unterminated quoted string");
      if (quote == '`' || c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) fail_at(start, "unterminated quoted string");
      read_escape(out, quote);
    }
    t.kind = Tok::kString;
    t.str = std::move(out);
  }

  void read_escape(std::string& out, char quote) {
    std::size_t at = i_ - 1;
    char e = s_[i_++];
    switch (e) {
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'v':
        out += '\v';
        return;
      case '\\':
        out += '\\';
        return;
      case 'x':
        out += static_cast<char>(read_hex(2, at));
        return;
      case 'u':
        append_code_point(out, read_hex(4, at), at);
        return;
      case 'U':
        append_code_point(out, read_hex(8, at), at);
        return;
      default:
        break;
    }
    if (e == quote) {
      out += e;
      return;
    }
    if (e >= '0' && e <= '7') {
      std::uint32_t v = static_cast<std::uint32_t>(e - '0');
      for (int k = 0; k < 2; ++k) {
        if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '7') fail_at(at, "invalid octal escape");
        v = v * 8 + static_cast<std::uint32_t>(s_[i_++] - '0');
      }
      if (v > 0xFF) fail_at(at, "invalid octal escape");
      out += static_cast<char>(v);
      return;
    }
    fail_at(at, std::string("unknown escape sequence '\\") + e + "'");
  }

  std::uint32_t read_hex(int n, std::size_t at) {
    std::uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      int h = i_ < s_.size() ? hex_value(s_[i_]) : -1;
      if (h < 0) fail_at(at, "invalid hex escape");
      v = v * 16 + static_cast<std::uint32_t>(h);
      ++i_;
    }
    return v;
  }

  static void append_code_point(std::string& out, std::uint32_t cp, std::size_t at) {
    if (cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) fail_at(at, "invalid Unicode escape");
    append_utf8(out, cp);
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

void fail_at(std::size_t pos, const std::string& what) {
  throw ParseError{what + " at " + std::to_string(pos)};
}

bool parse_duration(std::string_view text, core::Duration* out) {
  using std::chrono::milliseconds;
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 7> kUnits{{
      {"y", 365LL * 24 * 3600 * 1000},
      {"w", 7LL * 24 * 3600 * 1000},
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1},
  }};
  if (text == "0") {
    *out = milliseconds{0};
    return true;
  }
  if (text.empty()) return false;
  std::int64_t total = 0;
  std::size_t next_unit = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j]))
      ++j;
    if (j == i) return false;
    std::size_t k = j;
    while (k < text.size() && !is_digit(text[k]))
      ++k;
    std::string_view unit = text.substr(j, k - j);
    std::size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].first != unit)
      ++u;
    if (u == kUnits.size()) return false;
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + j, n);
    if (ec != std::errc{} || p != text.data() + j) return false;
    if (n > std::numeric_limits<std::int64_t>::max() / kUnits[u].second) return false;
    std::int64_t add = n * kUnits[u].second;
    if (total > std::numeric_limits<std::int64_t>::max() - add) return false;
    total += add;
    next_unit = u + 1;
    i = k;
  }
  if (total > kMaxDurationMs) return false;
  *out = milliseconds{total};
  return true;
}

std::vector<Token> lex(std::string_view text) {
  return Lexer(text).run();
}

}  // namespace selfheal::promql::detail
