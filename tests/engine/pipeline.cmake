# Decision pipeline, rendering, audit JSON and `selfheal decide` (owner: pipeline).
selfheal_test(engine_pipeline_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/pipeline_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/render_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/data_needs_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/recurrence_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gates_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/correlation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/flapping_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/completion_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/copy_test.cpp
  LIBS selfheal::engine selfheal::engine_testing)

selfheal_test(engine_decide_cli_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/decide_cli_test.cpp
  LIBS selfheal_cli_lib)
