# Cluster model tests: spec + ground truth, faults, actuators, detection, on-call, determinism.
# Included from tests/sim/CMakeLists.txt; name sources through this file's own directory.
selfheal_test(sim_cluster_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cluster_spec_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_faults_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_flapping_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_actions_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_detection_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_engine_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_branch_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/world_threads_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetry_ring_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/baseline_health_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/prom_series_test.cpp
  LIBS selfheal::sim)
