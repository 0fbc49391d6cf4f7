# World copy tests (issue 13): the copy of a world has the original's future, on library
# scenarios' clusters (hence the scenario library) and the bench's fleet. Included from
# tests/sim/CMakeLists.txt; name sources through this file's own directory.
selfheal_test(sim_copy_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/world_copy_test.cpp
  LIBS selfheal::sim selfheal::scenario)
