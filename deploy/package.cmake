# Packages a site installs: the CMake package (find_package(PVM-NG), with
# PVM::pvm3, PVM::gpvm3 and PVM::fpvm3), the example programs under
# share/pvm-ng/examples, and a Debian package built by `cpack -G DEB` that
# installs under /opt/pvm-ng, beside Debian's own PVM 3.4.6 (packages pvm,
# pvm-dev) without sharing a file with it. Included at the end of the
# top-level CMakeLists.txt, once every installed target exists. A package
# to ship is built with -DPVMNG_TESTING=OFF (no test-only calls, no
# fault-injection switches); the tests build packages with it on.
include(CMakePackageConfigHelpers)

set(PVMNG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/PVM-NG)
install(EXPORT PVMNGTargets NAMESPACE PVM:: FILE PVM-NGTargets.cmake
        DESTINATION ${PVMNG_CMAKE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/cmake/PVM-NGConfig.cmake.in
  ${CMAKE_BINARY_DIR}/PVM-NGConfig.cmake
  INSTALL_DESTINATION ${PVMNG_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/PVM-NGConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/PVM-NGConfig.cmake
              ${CMAKE_BINARY_DIR}/PVM-NGConfigVersion.cmake
        DESTINATION ${PVMNG_CMAKE_DIR})

# The examples: the programs install themselves in share/pvm-ng/examples/bin
# (pvmng_install_examples: they find the libraries through their rpath and
# each other beside themselves); here their sources and a README.
file(GLOB PVMNG_EXAMPLE_SOURCES ${PROJECT_SOURCE_DIR}/examples/*.c
     ${PROJECT_SOURCE_DIR}/examples/*.h ${PROJECT_SOURCE_DIR}/examples/README.md)
install(FILES ${PVMNG_EXAMPLE_SOURCES} DESTINATION ${PVMNG_EXAMPLES_DIR}/src)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/examples-README.md
        DESTINATION ${PVMNG_EXAMPLES_DIR} RENAME README.md)

# cpack -G DEB (from the build directory): one package, pvm-ng, under
# /opt/pvm-ng. Nothing of it is on the default paths, so Debian's pvm,
# pvmd, pvm3.h and libpvm3.so.3 stay what they are; PVM-NG's programs are
# started by path (/opt/pvm-ng/bin/pvm) and find their libraries by rpath.
set(CPACK_PACKAGE_NAME pvm-ng)
set(CPACK_PACKAGE_VENDOR "PVM-NG")
set(CPACK_PACKAGE_CONTACT "PVM-NG maintainers <pvm-ng@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "parallel virtual machine compatible with PVM 3.4, over TLS")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /opt/pvm-ng)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The libraries' own dependencies, as dpkg-shlibdeps finds them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
    ${CMAKE_BINARY_DIR}/lib)
set(CPACK_GENERATOR DEB)
include(CPack)
