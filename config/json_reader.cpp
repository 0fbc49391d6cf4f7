// Positions: nlohmann's SAX interface reports no positions for values, so the handler keeps
// its own cursor in the text and, at each event, skips to the token the parser has just
// read (the text up to there is valid JSON, already checked by the parser).
#include "config/json_reader.hpp"

#include <algorithm>
#include <cmath>

#include "config/file_io.hpp"
#include "config/messages.hpp"

namespace selfheal::config {
namespace {

using nlohmann::json;

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class Handler : public nlohmann::json_sax<json> {
 public:
  Handler(const std::string& text, JsonDocument& doc, core::Diagnostics& diags)
      : text_(text), doc_(doc), diags_(diags) {}

  bool null() override { return value(json(nullptr)); }
  bool boolean(bool v) override { return value(json(v)); }
  bool number_integer(number_integer_t v) override { return value(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return value(json(v)); }
  bool number_float(number_float_t v, const string_t& /*raw*/) override { return value(json(v)); }
  bool string(string_t& v) override { return value(json(std::move(v))); }
  bool binary(binary_t& /*v*/) override { return value(json(nullptr)); }  // not in JSON text

  bool start_object(std::size_t /*n*/) override { return open(json::object()); }
  bool start_array(std::size_t /*n*/) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& k) override {
    const std::size_t at = token_start();
    skip_token();
    json& obj = *stack_.back();
    const std::string field = JsonReader::join(paths_.back(), k);
    if (obj.contains(k)) {
      const auto first = doc_.where.find(field);
      const auto [line, col] = position(at);
      diags_.add(core::Error(duplicate_key(k, first == doc_.where.end() ? 0 : first->second.first),
                             doc_.file, line, col, field));
      return false;
    }
    key_ = k;
    key_at_ = at;
    return true;
  }

  bool parse_error(std::size_t byte, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) override {
    const std::size_t upto = std::min<std::size_t>(byte == 0 ? 0 : byte - 1, text_.size());
    const auto [line, col] = position(upto);
    if (e.id == kOverflowId) {
      // The token is the number itself; name the field it was meant for.
      const std::size_t at = token_start();
      std::size_t end = at;
      while (end < text_.size() && !is_ws(text_[end]) && text_[end] != ',' && text_[end] != '}' &&
             text_[end] != ']')
        ++end;
      const auto [l, c] = position(at);
      diags_.add(core::Error(
          "the number " + text_.substr(at, end - at) + " is out of range (larger than any double)",
          doc_.file, l, c, next_field()));
      return false;
    }
    std::string msg = e.what();
    if (auto p = msg.find("syntax error"); p != std::string::npos) msg = msg.substr(p);
    diags_.add(core::Error("malformed JSON: " + msg, doc_.file, line, col));
    return false;
  }

 private:
  static constexpr int kOverflowId = 406;  // nlohmann: out_of_range "number overflow"

  // Offsets arrive in text order (but for an error's): counting on from the last one keeps
  // the whole parse linear. Counting from the start each time was quadratic: an 80 KB list
  // of numbers took 15 s, an 8 MiB state file or a history file hours.
  std::pair<int, int> position(std::size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < at_.offset) at_ = Cursor{};
    for (; at_.offset < offset; ++at_.offset) {
      if (text_[at_.offset] == '\n') {
        ++at_.line;
        at_.col = 1;
      } else {
        ++at_.col;
      }
    }
    return {at_.line, at_.col};
  }

  // Skips whitespace and separators to the start of the next token.
  std::size_t token_start() {
    while (cur_ < text_.size() && (is_ws(text_[cur_]) || text_[cur_] == ',' || text_[cur_] == ':'))
      ++cur_;
    return cur_;
  }

  // Skips the token at cur_: a string, a number, a literal or one structural character.
  void skip_token() {
    if (cur_ >= text_.size()) return;
    const char c = text_[cur_];
    if (c == '"') {
      ++cur_;
      while (cur_ < text_.size() && text_[cur_] != '"')
        cur_ += text_[cur_] == '\\' ? 2 : 1;
      ++cur_;
      return;
    }
    if (c == '{' || c == '[' || c == '}' || c == ']') {
      ++cur_;
      return;
    }
    while (cur_ < text_.size() && !is_ws(text_[cur_]) && text_[cur_] != ',' && text_[cur_] != '}' &&
           text_[cur_] != ']' && text_[cur_] != ':')
      ++cur_;
  }

  std::string next_field() const {
    if (stack_.empty()) return {};
    const json& top = *stack_.back();
    return top.is_array() ? JsonReader::index(paths_.back(), top.size())
                          : JsonReader::join(paths_.back(), key_);
  }

  // Places `v` in the tree; returns where it went and records its path and position.
  json* place(json v, std::size_t at) {
    const std::string field = next_field();
    // A member is located at its key, where a reader's eye goes first.
    const std::size_t shown = !stack_.empty() && stack_.back()->is_object() ? key_at_ : at;
    doc_.where.emplace(field, position(shown));
    last_path_ = field;
    if (stack_.empty()) {
      doc_.root = std::move(v);
      return &doc_.root;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    json& slot = top[key_];
    slot = std::move(v);
    return &slot;
  }

  bool value(json v) {
    const std::size_t at = token_start();
    skip_token();
    place(std::move(v), at);
    return true;
  }

  bool open(json container) {
    const std::size_t at = token_start();
    if (stack_.size() >= kMaxJsonDepth) {
      // Every level keeps its field path: 100,000 nested `[` (200 KB) held gigabytes.
      const auto [line, col] = position(at);
      diags_.add(core::Error("nested deeper than " + std::to_string(kMaxJsonDepth) +
                                 " levels (no input of selfheal nests so deep)",
                             doc_.file, line, col));
      return false;
    }
    skip_token();
    json* p = place(std::move(container), at);
    stack_.push_back(p);
    paths_.push_back(last_path_);
    return true;
  }

  bool close() {
    token_start();
    skip_token();
    stack_.pop_back();
    paths_.pop_back();
    return true;
  }

  const std::string& text_;
  JsonDocument& doc_;
  core::Diagnostics& diags_;
  std::size_t cur_ = 0;
  std::vector<json*> stack_;
  std::vector<std::string> paths_;
  std::string key_;
  std::size_t key_at_ = 0;
  std::string last_path_;
  struct Cursor {
    std::size_t offset = 0;
    int line = 1, col = 1;
  } at_;
};

}  // namespace

std::optional<JsonDocument> parse_json(const std::string& text, const std::string& file,
                                       core::Diagnostics& diags) {
  JsonDocument doc;
  doc.file = file;
  Handler h(text, doc, diags);
  const std::size_t before = diags.size();
  const bool ok = json::sax_parse(text, &h, json::input_format_t::json, /*strict=*/true);
  if (!ok || diags.size() != before) {
    if (diags.size() == before) diags.add(core::Error("malformed JSON", file));
    return std::nullopt;
  }
  return doc;
}

std::optional<JsonDocument> read_json_file(const std::string& path, core::Diagnostics& diags) {
  auto text = read_file(path);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return parse_json(*text, path, diags);
}

void JsonReader::error(const std::string& field, const std::string& message) {
  // The field itself, else its nearest located parent (a missing member: its object).
  std::string f = field;
  for (;;) {
    if (auto it = doc_.where.find(f); it != doc_.where.end()) {
      diags_.add(core::Error(message, doc_.file, it->second.first, it->second.second, field));
      return;
    }
    if (f.empty()) break;
    const std::size_t cut = f.find_last_of(".[");
    f = cut == std::string::npos ? std::string{} : f.substr(0, cut);
  }
  diags_.add(core::Error(message, doc_.file, 0, 0, field));
}

void JsonReader::check_keys(const nlohmann::json& obj, const std::string& path,
                            const std::vector<std::string>& known) {
  if (!obj.is_object()) return;
  for (const auto& [key, value] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      error(join(path, key), unknown_key(key, known));
  }
}

std::optional<std::string> JsonReader::str(const nlohmann::json& obj, const std::string& path,
                                           const std::string& key, bool required,
                                           bool allow_empty) {
  const std::string f = join(path, key);
  if (!obj.contains(key)) {
    if (required) error(f, missing_required("a string"));
    return std::nullopt;
  }
  const json& v = obj.at(key);
  if (!v.is_string()) {
    error(f, wrong_type("a string", kind_of(v)));
    return std::nullopt;
  }
  if (!allow_empty && v.get_ref<const std::string&>().empty()) {
    error(f, "must not be empty");
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<double> JsonReader::num(const nlohmann::json& obj, const std::string& path,
                                      const std::string& key, bool required, double lo, double hi) {
  const std::string f = join(path, key);
  if (!obj.contains(key)) {
    if (required) error(f, missing_required("a number"));
    return std::nullopt;
  }
  const json& v = obj.at(key);
  if (!v.is_number()) {
    error(f, wrong_type("a number", kind_of(v)));
    return std::nullopt;
  }
  const double d = v.get<double>();
  if (!(d >= lo && d <= hi)) {
    error(f, out_of_range(exact_number(lo), exact_number(hi), exact_number(d)));
    return std::nullopt;
  }
  return d;
}

std::optional<std::int64_t> JsonReader::integer(const nlohmann::json& obj, const std::string& path,
                                                const std::string& key, bool required,
                                                std::int64_t lo, std::int64_t hi) {
  const std::string f = join(path, key);
  if (!obj.contains(key)) {
    if (required) error(f, missing_required("a whole number"));
    return std::nullopt;
  }
  const json& v = obj.at(key);
  if (!v.is_number_integer()) {
    error(f, wrong_type("a whole number", kind_of(v)));
    return std::nullopt;
  }
  const bool fits = v.is_number_unsigned()
                        ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)
                        : v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
  if (!fits) {
    error(f, out_of_range(std::to_string(lo), std::to_string(hi), v.dump()));
    return std::nullopt;
  }
  return v.get<std::int64_t>();
}

std::optional<bool> JsonReader::boolean(const nlohmann::json& obj, const std::string& path,
                                        const std::string& key) {
  if (!obj.contains(key)) return std::nullopt;
  const json& v = obj.at(key);
  if (!v.is_boolean()) {
    error(join(path, key), wrong_type("true or false", kind_of(v)));
    return std::nullopt;
  }
  return v.get<bool>();
}

bool JsonReader::is_object(const nlohmann::json& obj, const std::string& path,
                           const std::string& key) {
  if (!obj.contains(key)) return false;
  if (obj.at(key).is_object()) return true;
  error(join(path, key), wrong_type("an object", kind_of(obj.at(key))));
  return false;
}

bool JsonReader::is_list(const nlohmann::json& obj, const std::string& path,
                         const std::string& key) {
  if (!obj.contains(key)) return false;
  if (obj.at(key).is_array()) return true;
  error(join(path, key), wrong_type("a list", kind_of(obj.at(key))));
  return false;
}

std::string JsonReader::join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string JsonReader::index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string JsonReader::kind_of(const nlohmann::json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "a string " + config::quoted(v.get_ref<const std::string&>());
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "null";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "an object";
    default:
      return "the number " + v.dump();
  }
}

}  // namespace selfheal::config
