// promql's LabelTable alone (promql/label_table.hpp): equal sets get equal ids and only
// they, ids are dense, the sets stay where they are as the table grows, and the derived ids
// (without the name, a source's series) are those of the derived sets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "promql/label_table.hpp"
#include "tests/promql/fixture.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace label_table_test {

using namespace selfheal::promql;
using namespace selfheal::promql::test;
using detail::LabelsId;
using detail::LabelTable;

TEST_CASE("promql LabelTable gives equal sets equal ids and only them", "[promql][labels]") {
  LabelTable t;
  const LabelsId a = t.intern(labels("up", {{"job", "api"}}));
  const LabelsId b = t.intern(labels("up", {{"job", "web"}}));
  const LabelsId c = t.intern(labels("", {{"job", "api"}}));
  const LabelsId empty = t.intern(Labels{});
  CHECK(a == 0);
  CHECK(b == 1);
  CHECK(c == 2);
  CHECK(empty == 3);
  CHECK(t.size() == 4);
  CHECK(t.intern(labels("up", {{"job", "api"}})) == a);
  Labels moved = labels("up", {{"job", "web"}});
  CHECK(t.intern(std::move(moved)) == b);
  CHECK(t.intern(Labels{}) == empty);
  CHECK(t.size() == 4);
  CHECK(t[a] == labels("up", {{"job", "api"}}));
  CHECK(t[c] == labels("", {{"job", "api"}}));
  // A name and a value swapped, or split differently, are other sets.
  CHECK(t.intern(Labels{{"ab", "c"}}) != t.intern(Labels{{"a", "bc"}}));
  CHECK(t.intern(Labels{{"job", "api"}, {"x", ""}}) != c);
}

TEST_CASE("promql LabelTable keeps its ids and sets as it grows", "[promql][labels]") {
  LabelTable t;
  const Labels& first = t[t.intern(labels("m", {{"i", "0"}}))];
  constexpr int kSets = 5000;  // many times the first slot table
  for (int i = 0; i < kSets; ++i)
    REQUIRE(t.intern(labels("m", {{"i", std::to_string(i)}})) == static_cast<LabelsId>(i));
  CHECK(t.size() == kSets);
  for (int i = kSets; i-- > 0;) {
    REQUIRE(t.intern(labels("m", {{"i", std::to_string(i)}})) == static_cast<LabelsId>(i));
    REQUIRE(label_value(t[static_cast<LabelsId>(i)], "i") == std::to_string(i));
  }
  CHECK(first == labels("m", {{"i", "0"}}));  // the reference taken first is still valid
}

TEST_CASE("promql LabelTable derives ids without the name and of a source's series",
          "[promql][labels]") {
  LabelTable t;
  const LabelsId named = t.intern(labels("up", {{"job", "api"}}));
  const LabelsId bare = t.without_name(named);
  CHECK(bare != named);
  CHECK(t[bare] == labels("", {{"job", "api"}}));
  CHECK(t.without_name(named) == bare);
  CHECK(t.without_name(bare) == bare);  // no name: itself
  CHECK(t.intern(labels("", {{"job", "api"}})) == bare);

  const Labels a = labels("up", {{"job", "a"}});
  const Labels b = labels("up", {{"job", "b"}});
  const LabelsId from_a = t.of_series(SeriesView{a, {}, 7});
  CHECK(t[from_a] == a);
  CHECK(t[t.of_series(SeriesView{a, {}, 7}, true)] == labels("", {{"job", "a"}}));
  // By id: a source never gives an id other labels, so the id's first answer is kept.
  CHECK(t.of_series(SeriesView{b, {}, 7}) == from_a);
  // Without an id: from the labels every time.
  CHECK(t[t.of_series(SeriesView{b, {}})] == b);
  CHECK(t[t.of_series(SeriesView{b, {}}, true)] == labels("", {{"job", "b"}}));
}

}  // namespace label_table_test
