# Shared compile settings for every selfheal target.
#
# selfheal_target(<target>) applies our warning set (errors on our code only:
# third-party headers come in through SYSTEM include paths) and the sanitizer flags.
if(SELFHEAL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

function(selfheal_target tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O2/-O3 reports a false -Wrestrict inside libstdc++ for `"x" + std::string`
    # (GCC PR 105329, fixed in 13); with -Werror it would break the release build.
    target_compile_options(${tgt} PRIVATE -Wno-restrict)
  endif()
  if(SELFHEAL_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
endfunction()

# selfheal_test(<name> SOURCES ... LIBS ...): one Catch2 executable, its cases registered
# individually with CTest.
function(selfheal_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} selfheal_catch_main)
  selfheal_target(${name})
  catch_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES ENVIRONMENT "SELFHEAL_SOURCE_DIR=${PROJECT_SOURCE_DIR};SELFHEAL_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
