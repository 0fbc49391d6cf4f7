# The world's parts alone (on-call, actuation, faults, alert groups, pods, traffic, telemetry,
# alerting), each driven through fakes of what it talks to. Included from
# tests/sim/CMakeLists.txt; name sources through this file's own directory.
selfheal_test(sim_parts_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/oncall_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/actuation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/faults_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alert_groups_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pods_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/traffic_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetry_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alerting_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alert_quiet_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hot_parts.cpp
  LIBS selfheal::sim)
# The hot parts' own build for their tests (hot_parts.cpp says why), never in a unity batch.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/hot_parts.cpp
  PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
