// Docs and behaviour agree: every example command in README.md and docs/*.md that runs
// offline is run, and where the docs show its output, the output is checked (issue 21).
//
// Why extraction rather than a curated list: a curated list drifts the moment someone adds
// an example to the docs; reading the fenced blocks makes a new example a test by itself.
// What is read, from every fenced block:
//  - A transcript: lines starting with `$ `.
//      `$ cat F` and the lines after it: the file F (written to a temporary directory; an
//        argument naming F, or a directory holding it, then points there).
//      `$ selfheal ARGS` and the lines after it: the documented output. It must match the
//        command's output line by line (stdout and stderr interleaved as a terminal may
//        show them; the temporary directory's prefix removed); a line `...` stands for any
//        number of lines, and `...` inside a line for any text.
//      `$ echo $?` and the next line: the documented exit code.
//  - A ```sh block's other lines calling `selfheal` (or build/<preset>/cli/selfheal): run,
//    and they must not fail as bad input (exit 2).
// Only `run`, `check`, `lint` and `decide` are run: offline, on repository files and in
// seconds (`sweep` takes minutes, `serve` is a server, `merge` needs a sweep's shards).
// Output options (--out, --junit, --state, --update-baseline) are sent to the temporary
// directory. A path under /usr/share/selfheal/ (the installed package's data) is read from
// the repository's copy. The test runs in the source directory (CTest's WORKING_DIRECTORY).
// A `run` or `check` outside a transcript gets --no-counterfactuals: its only check is "not
// bad input", decided while reading the arguments and files, before anything is simulated,
// and the counterfactual branches were most of this test's time (docs/install.md's check of
// the whole library; bench/README.md, "CI time"). The branches are run by the transcripts
// that show them and by scripts/check-ci-templates on the whole library.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/classifier.hpp"
#include "tests/support/cli_harness.hpp"

namespace fs = std::filesystem;

namespace {

struct Command {
  std::string where;  ///< doc file:line
  std::vector<std::string> words;
  bool transcript = false;
  std::vector<std::string> expected;  ///< documented output lines (transcripts)
  std::optional<int> rc;              ///< documented exit code (transcripts)
  std::vector<std::pair<std::string, std::string>> files;  ///< `$ cat` files before it
};

const std::set<std::string> kRunnable{"run", "check", "lint", "decide"};
const std::set<std::string> kOutputOptions{"--out", "--junit", "--state", "--update-baseline"};
const std::set<std::string> kSimulating{"run", "check"};  // take --no-counterfactuals
// Where the Debian package installs the repository's scenarios/, policies/ and examples/
// (docs/install.md): a documented path under it is run on the repository's own copy.
const std::string kInstalledData = "/usr/share/selfheal/";

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) {
    if (w.size() >= 2 && (w.front() == '"' || w.front() == '\'') && w.back() == w.front())
      w = w.substr(1, w.size() - 2);
    out.push_back(w);
  }
  return out;
}

bool is_selfheal(const std::string& word) {
  if (word == "selfheal") return true;
  return word.rfind("build/", 0) == 0 && word.size() > 13 &&
         word.compare(word.size() - 13, 13, "/cli/selfheal") == 0;
}

// The fenced blocks of one Markdown file: (language, first line number, lines).
struct Block {
  std::string lang;
  int line = 0;
  std::vector<std::string> lines;
};
std::vector<Block> blocks_of(const fs::path& file) {
  std::vector<Block> out;
  std::ifstream in(file);
  std::string line;
  int n = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      if (!inside) out.push_back({line.substr(3), n + 1, {}});
      inside = !inside;
      continue;
    }
    if (inside) out.back().lines.push_back(line);
  }
  return out;
}

void transcript(const Block& b, const std::string& where, std::vector<Command>& out) {
  std::vector<std::pair<std::string, std::string>> files;
  enum { kNone, kFile, kOutput, kRc } mode = kNone;
  for (std::size_t i = 0; i < b.lines.size(); ++i) {
    const std::string& l = b.lines[i];
    if (l.rfind("$ ", 0) == 0) {
      const auto words = split_words(l.substr(2));
      mode = kNone;
      if (words.size() == 2 && words[0] == "cat") {
        files.emplace_back(words[1], "");
        mode = kFile;
      } else if (words.size() == 2 && words[0] == "echo" && words[1] == "$?") {
        mode = kRc;
      } else if (!words.empty() && is_selfheal(words[0])) {
        out.push_back({where + ":" + std::to_string(b.line + static_cast<int>(i)),
                       words,
                       true,
                       {},
                       std::nullopt,
                       files});
        mode = kOutput;
      }
      continue;
    }
    if (mode == kFile) files.back().second += l + "\n";
    if (mode == kOutput && !l.empty()) out.back().expected.push_back(l);
    if (mode == kRc && !out.empty()) {
      out.back().rc = std::stoi(l);
      mode = kNone;
    }
  }
}

std::vector<Command> documented_commands() {
  std::vector<fs::path> docs{"README.md"};
  for (const auto& e : fs::directory_iterator("docs"))
    if (e.path().extension() == ".md") docs.push_back(e.path());
  std::sort(docs.begin(), docs.end());
  std::vector<Command> out;
  for (const auto& doc : docs) {
    for (const auto& b : blocks_of(doc)) {
      const bool has_prompt = std::any_of(b.lines.begin(), b.lines.end(),
                                          [](const auto& l) { return l.rfind("$ ", 0) == 0; });
      if (has_prompt) {
        transcript(b, doc.string(), out);
        continue;
      }
      if (b.lang != "sh") continue;
      std::string joined;
      for (std::size_t i = 0; i < b.lines.size(); ++i) {
        std::string l = b.lines[i];
        if (const auto hash = l.find(" #"); hash != std::string::npos) l.resize(hash);
        if (!l.empty() && l.back() == '\\') {
          joined += l.substr(0, l.size() - 1) + " ";
          continue;
        }
        joined += l;
        const auto words = split_words(joined);
        joined.clear();
        if (!words.empty() && is_selfheal(words[0]))
          out.push_back({doc.string() + ":" + std::to_string(b.line + static_cast<int>(i)),
                         words,
                         false,
                         {},
                         std::nullopt,
                         {}});
      }
    }
  }
  return out;
}

// `text` matches `pattern` where "..." stands for any text.
bool line_matches(const std::string& pattern, const std::string& text) {
  const auto star = pattern.find("...");
  if (star == std::string::npos) return pattern == text;
  const std::string head = pattern.substr(0, star);
  if (text.compare(0, head.size(), head) != 0) return false;
  const std::string rest = pattern.substr(star + 3);
  for (std::size_t k = head.size(); k <= text.size(); ++k)
    if (line_matches(rest, text.substr(k))) return true;
  return false;
}

// `lines` match `pattern` where a line "..." stands for any number of lines.
bool lines_match(const std::vector<std::string>& pattern, std::size_t p,
                 const std::vector<std::string>& lines, std::size_t l) {
  if (p == pattern.size()) return l == lines.size();
  if (pattern[p] == "...") {
    for (std::size_t k = l; k <= lines.size(); ++k)
      if (lines_match(pattern, p + 1, lines, k)) return true;
    return false;
  }
  return l < lines.size() && line_matches(pattern[p], lines[l]) &&
         lines_match(pattern, p + 1, lines, l + 1);
}

// A terminal shows stdout and stderr interleaved in write order, which captured streams
// lose: the documented lines match if they are some interleaving of the two, each kept in
// its own order. `failed` remembers states already tried (pattern index, out, err).
struct Interleaved {
  const std::vector<std::string>& pattern;
  const std::vector<std::string>& out;
  const std::vector<std::string>& err;
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> failed;

  bool match(std::size_t p, std::size_t o, std::size_t e) {
    if (p == pattern.size()) return o == out.size() && e == err.size();
    if (failed.count({p, o, e}) != 0U) return false;
    bool ok = false;
    if (pattern[p] == "...") {
      ok = match(p + 1, o, e) || (o < out.size() && match(p, o + 1, e)) ||
           (e < err.size() && match(p, o, e + 1));
    } else {
      ok = (o < out.size() && line_matches(pattern[p], out[o]) && match(p + 1, o + 1, e)) ||
           (e < err.size() && line_matches(pattern[p], err[e]) && match(p + 1, o, e + 1));
    }
    if (!ok) failed.insert({p, o, e});
    return ok;
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string without(std::string text, const std::string& prefix) {
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix))
    text.erase(at, prefix.size());
  return text;
}

}  // namespace

TEST_CASE("the docs' example commands run and print what the docs show", "[docs]") {
  const auto commands = documented_commands();
  for (const auto& c : commands) {
    if (c.words.size() < 2 || kRunnable.count(c.words[1]) == 0) continue;
    DYNAMIC_SECTION(c.where) {
      selfheal::test::TempDir tmp("docs");
      for (const auto& [name, text] : c.files) {
        fs::create_directories((tmp.path / name).parent_path());
        std::ofstream(tmp.path / name) << text;
      }
      std::vector<std::string> args(c.words.begin() + 1, c.words.end());
      for (std::size_t i = 0; i < args.size(); ++i) {
        std::string bare = args[i];
        while (bare.size() > 1 && bare.back() == '/')
          bare.pop_back();
        const bool names_file = std::any_of(c.files.begin(), c.files.end(), [&](const auto& f) {
          return f.first == bare || f.first.rfind(bare + "/", 0) == 0;
        });
        if (names_file || (i > 0 && kOutputOptions.count(args[i - 1]) != 0U))
          args[i] = (tmp.path / bare).string();
        else if (args[i].rfind(kInstalledData, 0) == 0)
          args[i] = args[i].substr(kInstalledData.size());
      }
      if (!c.transcript && kSimulating.count(args[0]) != 0U &&
          std::find(args.begin(), args.end(), "--no-counterfactuals") == args.end())
        args.emplace_back("--no-counterfactuals");
      const auto r = selfheal::test::call(args);
      const std::string prefix = tmp.path.string() + "/";
      const std::string output = without(r.out + r.err, prefix);
      INFO(c.where << ": selfheal " << c.words[1] << " ... exited " << r.rc << "\n" << output);
      if (!c.transcript) {
        CHECK(r.rc != 2);
      } else {
        if (c.rc) CHECK(r.rc == *c.rc);
        if (!c.expected.empty()) {
          const auto out = lines_of(without(r.out, prefix));
          const auto err = lines_of(without(r.err, prefix));
          CHECK(Interleaved{c.expected, out, err, {}}.match(0, 0, 0));
        }
      }
    }
  }
  // The docs hold runnable examples, and some show their output: if extraction broke, fail.
  CHECK(commands.size() >= 6);
}

TEST_CASE("the docs test's output matching: ... for lines and for text", "[docs]") {
  CHECK(line_matches("a...c", "abc"));
  CHECK(line_matches("\"confidence\": 0.99...,", "\"confidence\": 0.9931,"));
  CHECK_FALSE(line_matches("a...c", "abd"));
  const std::vector<std::string> lines{"one", "two", "three"};
  CHECK(lines_match({"...", "three"}, 0, lines, 0));
  CHECK(lines_match({"one", "...", "three"}, 0, lines, 0));
  CHECK_FALSE(lines_match({"one", "three"}, 0, lines, 0));
  CHECK_FALSE(lines_match({"one", "two"}, 0, lines, 0));
  const std::vector<std::string> out{"note", "OK"};
  const std::vector<std::string> err{"error 1", "error 2"};
  CHECK(Interleaved{{"error 1", "note", "error 2", "OK"}, out, err, {}}.match(0, 0, 0));
  CHECK_FALSE(Interleaved{{"OK", "note", "error 1", "error 2"}, out, err, {}}.match(0, 0, 0));
}

TEST_CASE("docs/policy.md's incident types are the ones the code knows", "[docs][types]") {
  // The table under "### Incident types": | `name` | the built-in classifier | or
  // | `name` | external classifications only |.
  std::ifstream in("docs/policy.md");
  REQUIRE(in);
  std::vector<std::pair<std::string, bool>> documented;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) in_section = line == "### Incident types";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto close = line.find('`', 3);
    REQUIRE(close != std::string::npos);
    documented.emplace_back(line.substr(3, close - 3),
                            line.find("the built-in classifier") != std::string::npos);
  }
  std::vector<std::pair<std::string, bool>> known;
  for (const auto& k : selfheal::engine::known_incident_types())
    known.emplace_back(std::string(k.name), k.builtin);
  CHECK(documented == known);
}
