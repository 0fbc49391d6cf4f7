// Compiled only to build the precompiled header the test executables share
// (SELFHEAL_TEST_PCH, tests/CMakeLists.txt).
