# Shared compile settings for every selfheal target.
#
# selfheal_target(<target>) applies our warning set (errors on our code only:
# third-party headers come in through SYSTEM include paths) and the sanitizer flags.
if(SELFHEAL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Unity-built libraries (the `ci` and `ci-asan` presets): a library's sources, compiled
# SELFHEAL_UNITY_LIBS_BATCH at a time as one translation unit, parse the standard library and
# the JSON/YAML/Boost headers once a batch instead of once a file (bench/README.md, "CI
# time"). Off for the other presets: release code generation and one-file rebuilds are
# unchanged. A library's file-local names (anonymous namespaces, file-scope constants) must
# therefore be distinct across its files.
option(SELFHEAL_UNITY_LIBS "Compile the libraries as unity builds" OFF)
set(SELFHEAL_UNITY_LIBS_BATCH 8 CACHE STRING "Library sources per unity translation unit")

# Options for the libraries that talk to sockets, files and child processes (live/,
# importer/, promote/, cli/: selfheal_io_target), after the build type's. The `ci-asan`
# preset compiles them at -O0: their tests spend their time waiting on servers and child
# processes, not in the simulation's hot loops, and -O1 under ASan doubles their compile
# time (bench/README.md, "CI time").
set(SELFHEAL_IO_COMPILE_OPTIONS "" CACHE STRING
  "Extra compile options for live/, importer/, promote/ and cli/")
function(selfheal_io_target tgt)
  selfheal_target(${tgt})
  target_compile_options(${tgt} PRIVATE ${SELFHEAL_IO_COMPILE_OPTIONS})
endfunction()

function(selfheal_target tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic)
  get_target_property(type ${tgt} TYPE)
  if(SELFHEAL_UNITY_LIBS AND type STREQUAL "STATIC_LIBRARY")
    set_target_properties(${tgt} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${SELFHEAL_UNITY_LIBS_BATCH})
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O2/-O3 reports a false -Wrestrict inside libstdc++ for `"x" + std::string`
    # (GCC PR 105329, fixed in 13); with -Werror it would break the release build.
    target_compile_options(${tgt} PRIVATE -Wno-restrict)
  endif()
  if(SELFHEAL_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
endfunction()

# Arguments every Catch2 case registered with CTest runs with. `--warn NoTests` makes a run
# whose test spec matches no case exit non-zero: catch_discover_tests splits a case name at
# ';' (CTest list syntax) into entries that match nothing, and without it those report
# "Passed" while no case ran. Case names must not contain ';' (scripts/check-test-registration
# checks that every listed case runs exactly once).
set(SELFHEAL_CATCH_ARGS --warn NoTests)

# Unity-built test executables (the `ci` and `ci-asan` presets): every test source parses
# catch.hpp and the project's JSON/YAML headers again, so compiling SELFHEAL_UNITY_TESTS_BATCH
# sources as one translation unit takes far less CPU (bench/README.md, "CI time"). Off for
# the other presets, so an edit recompiles one file. A test file's helpers must not clash
# with another file's of the same executable: give them distinct names or keep them in a
# namespace named after the file.
option(SELFHEAL_UNITY_TESTS "Compile the Catch2 test executables as unity builds" OFF)
set(SELFHEAL_UNITY_TESTS_BATCH 8 CACHE STRING "Test sources per unity translation unit")

# One precompiled header for every test executable (the `ci-asan` preset): Catch2, the JSON
# and YAML headers and the standard headers the tests use, parsed once instead of once a
# translation unit (tests/CMakeLists.txt, target selfheal_test_pch).
option(SELFHEAL_TEST_PCH "Share one precompiled header among the test executables" OFF)
function(selfheal_test_pch tgt)
  if(SELFHEAL_TEST_PCH)
    target_precompile_headers(${tgt} REUSE_FROM selfheal_test_pch)
  endif()
endfunction()

# selfheal_test(<name> SOURCES ... LIBS ... [COST SECONDS] [TIMEOUT SECONDS]): one Catch2
# executable, its cases registered individually with CTest. COST is about what its slowest
# case takes: CTest starts the costliest tests first, and a clean build directory (CI) has no
# timing history to go by, so without it a minutes-long case listed last runs alone at the
# end of `ctest -j2`. TIMEOUT (default SELFHEAL_TEST_CASE_TIMEOUT) is when a case counts as
# hung and fails: without one CTest waits its default 1,500 s, so a case that regressed into
# hours (e.g. quadratic parsing) held CI for 25 minutes before it failed.
set(SELFHEAL_TEST_CASE_TIMEOUT 300 CACHE STRING
    "Seconds before a Catch2 case fails as hung (the slowest takes ~30 s under ASan)")
function(selfheal_test name)
  cmake_parse_arguments(T "" "COST;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  set(cost "")
  if(T_COST)
    set(cost COST ${T_COST})
  endif()
  set(timeout ${SELFHEAL_TEST_CASE_TIMEOUT})
  if(T_TIMEOUT)
    set(timeout ${T_TIMEOUT})
  endif()
  add_executable(${name} ${T_SOURCES})
  if(SELFHEAL_UNITY_TESTS)
    set_target_properties(${name} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${SELFHEAL_UNITY_TESTS_BATCH})
  endif()
  target_link_libraries(${name} PRIVATE ${T_LIBS} selfheal_catch_main)
  selfheal_target(${name})
  selfheal_test_pch(${name})
  # One ENVIRONMENT entry only: PROPERTIES reaches set_tests_properties as a flat list, so a
  # second `A=B` after a ';' would be read as a property name and silently dropped.
  catch_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    EXTRA_ARGS ${SELFHEAL_CATCH_ARGS}
    PROPERTIES ENVIRONMENT "SELFHEAL_SOURCE_DIR=${PROJECT_SOURCE_DIR}" TIMEOUT ${timeout} ${cost})
endfunction()
