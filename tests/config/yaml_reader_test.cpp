// Typed YAML reads shared by the scenario, policy, classifier and serve-config readers.
#include <catch2/catch.hpp>

#include "config/yaml_reader.hpp"

namespace config = selfheal::config;

TEST_CASE("a quoted number is a string, and is refused as a number", "[config][yaml]") {
  const YAML::Node n = YAML::Load("a: '0.9'\nb: 0.9\nc: +2\nd: .inf\ne: \"1\"\n");
  CHECK_FALSE(config::parse_number(n["a"]));
  CHECK(config::parse_number(n["b"]) == 0.9);
  CHECK(config::parse_number(n["c"]) == 2.0);
  CHECK_FALSE(config::parse_number(n["d"]));
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  CHECK_FALSE(r.number(n["a"], "a"));
  CHECK_FALSE(r.integer(n["e"], "e"));
  CHECK(d.describe() ==
        "s.yaml:1:4: a: expected a number, got \"0.9\" (a quoted value is a string; remove the "
        "quotes)\n"
        "s.yaml:5:4: e: expected a whole number, got \"1\" (a quoted value is a string; remove "
        "the quotes)\n");
}

TEST_CASE("check_keys lists the known keys when nothing is close", "[config][yaml]") {
  const YAML::Node n = YAML::Load("owner: x\nnme: y\n");
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  r.check_keys(n, "top", {"name", "kind"});
  CHECK(d.describe() ==
        "s.yaml:1:1: top.owner: unknown key \"owner\"; known keys: name, kind\n"
        "s.yaml:2:1: top.nme: unknown key \"nme\"; did you mean \"name\"?\n");
}

TEST_CASE("check_keys refuses a key given twice", "[config][yaml]") {
  const YAML::Node n = YAML::Load("name: a\nkind: b\nname: c\n");
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  r.check_keys(n, "", {"name", "kind"});
  CHECK(d.describe() == "s.yaml:3:1: name: duplicate key \"name\" (first given at line 1)\n");
}

TEST_CASE("kind_of says what a node is", "[config][yaml]") {
  const YAML::Node n = YAML::Load("l: [1]\nm: {a: 1}\nz:\ns: hi\n");
  CHECK(config::kind_of(n["l"]) == "a list");
  CHECK(config::kind_of(n["m"]) == "a map");
  CHECK(config::kind_of(n["z"]) == "nothing");
  CHECK(config::kind_of(n["s"]) == "\"hi\"");
  CHECK(config::line_of(n["s"]) == 4);
  CHECK(config::column_of(n["s"]) == 4);
}

TEST_CASE("a key given without a value is an error, an absent key is not", "[config][yaml]") {
  const YAML::Node n = YAML::Load("duration:\nname: x\n");
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  CHECK_FALSE(r.duration(n["duration"], "duration"));
  CHECK_FALSE(r.duration(n["absent"], "absent"));
  // yaml-cpp places an empty value where the next line starts.
  CHECK(d.describe() == "s.yaml:2:1: duration: expected a duration such as 10m, got nothing\n");
}

TEST_CASE("fields() honours merge keys and skips top-level x- keys", "[config][yaml]") {
  const YAML::Node n = YAML::Load(
      "x-defaults: &d {kind: a, size: 2}\n"
      "item:\n  <<: *d\n  size: 3\n");
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  r.check_keys(n, "", {"item"});
  const config::Fields f = r.fields(n["item"], "item", {"kind", "size"});
  REQUIRE(f.find("kind") != nullptr);
  CHECK(f.find("kind")->value.Scalar() == "a");
  CHECK(f.find("size")->value.Scalar() == "3");  // the map's own key wins over the merge
  CHECK(d.empty());
  const YAML::Node bad = YAML::Load("item:\n  <<: {colour: red}\n");
  r.fields(bad["item"], "item", {"kind"});
  CHECK(d.describe() ==
        "s.yaml:2:8: item.colour: unknown key \"colour\"; known keys: kind (merged in with <<)\n");
}

TEST_CASE("integers name the side of the range they miss", "[config][yaml]") {
  const YAML::Node n = YAML::Load("a: 0\nb: 70000\n");
  selfheal::core::Diagnostics d;
  config::YamlReader r("s.yaml", d);
  CHECK_FALSE(r.integer(n["a"], "a", 1, 10));
  CHECK_FALSE(r.integer(n["b"], "b", 0, 65535));
  CHECK(d.describe() ==
        "s.yaml:1:4: a: must be at least 1, got 0\ns.yaml:2:4: b: must be at most 65535, got "
        "70000\n");
}

TEST_CASE("load_yaml refuses text that is not UTF-8 at its first bad byte", "[config][yaml]") {
  // A Latin-1 'e' with an acute accent: yaml-cpp loads it, and the JSON writers threw on it
  // later (selfheal decide and run ended in std::terminate).
  try {
    (void)config::load_yaml("a: x\nb: caf\xE9\n");
    FAIL("no exception");
  } catch (const YAML::ParserException& e) {
    CHECK(e.mark.line == 1);
    CHECK(e.mark.column == 6);
    CHECK(e.msg == "invalid UTF-8 (byte 0xE9); save the file as UTF-8");
  }
  CHECK(config::load_yaml("b: caf\xC3\xA9\n")["b"].Scalar() == "caf\xC3\xA9");
  // A surrogate encoded as UTF-8 (what nlohmann::json also refuses).
  CHECK_THROWS_AS(config::load_yaml("b: \xED\xA0\x80\n"), YAML::ParserException);
}
