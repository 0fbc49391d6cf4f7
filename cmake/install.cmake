# `cmake --install` rules and the Debian package (CPack), in the Debian layout:
#
#   bin/selfheal                                   the binary
#   share/selfheal/{scenarios,policies,examples}   the scenario library, example policies,
#                                                  example incident/calendar/serve files
#   share/doc/selfheal/                            README.md and docs/
#   share/man/man1/selfheal.1.gz                   `selfheal man`
#   share/bash-completion/completions/selfheal     `selfheal completion bash`
#
#   cmake --install build/release --prefix /usr/local
#   cpack --config build/release/CPackConfig.cmake -B out/package   # selfheal_<v>_<arch>.deb
#
# The package's dependencies are computed by dpkg-shlibdeps from what the binary links
# (Boost.Program_options, yaml-cpp, SQLite, jemalloc, the C++ runtime): Debian's library
# packages, nothing vendored.
include(GNUInstallDirs)

install(TARGETS selfheal RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(SELFHEAL_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/selfheal)
install(DIRECTORY scenarios/ DESTINATION ${SELFHEAL_INSTALL_DATADIR}/scenarios)
install(DIRECTORY policies/ DESTINATION ${SELFHEAL_INSTALL_DATADIR}/policies)
install(DIRECTORY examples/ DESTINATION ${SELFHEAL_INSTALL_DATADIR}/examples)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${PROJECT_BINARY_DIR}/cli/selfheal.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_BINARY_DIR}/cli/selfheal.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME selfheal)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME selfheal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "remediation engine for recurring incidents, with a deterministic policy simulator")
set(CPACK_PACKAGE_DESCRIPTION
    "selfheal classifies an incident, chooses the runbook action its policy names, passes \
every guardrail, executes, verifies, rolls back and escalates; its simulator drives the \
same engine over a modelled cluster in virtual time, so a policy is tested in CI first.")
set(CPACK_PACKAGE_CONTACT "selfheal maintainers <maintainers@selfheal.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
