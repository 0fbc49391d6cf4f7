# The world's parts alone (on-call, actuation, faults, alert groups), each driven through
# fakes of what it talks to. Included from tests/sim/CMakeLists.txt; name sources through
# this file's own directory.
selfheal_test(sim_parts_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/oncall_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/actuation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/faults_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alert_groups_test.cpp
  LIBS selfheal::sim)
