# Policy loading, `selfheal lint` and the built-in classifier (owner: policy).
selfheal_test(engine_policy_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/policy_loader_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/classifier_test.cpp
  LIBS selfheal::engine)

selfheal_test(engine_lint_cli_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/lint_cli_test.cpp
  LIBS selfheal_cli_lib)
