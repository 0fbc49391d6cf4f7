# Event kernel tests: event queue, seeded randomness, simulation loop. Included from
# tests/sim/CMakeLists.txt, so relative paths would resolve against that directory's
# source dir; name the sources through this file's own directory instead.
selfheal_test(sim_kernel_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/event_queue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/random_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/simulation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/simulation_copy_test.cpp
  LIBS selfheal::sim)
