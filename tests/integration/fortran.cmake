# Fortran tests: the typed Fortran <-> C exchange, the Fortran examples run
# in private virtual machines, and the unit test of the string and array
# conventions. Included both from tests/integration/CMakeLists.txt and from
# bindings/fortran/CMakeLists.txt; whichever comes last, once Fortran,
# libfpvm3 and the test helpers all exist, registers the tests (once).
if(NOT CMAKE_Fortran_COMPILER_LOADED OR NOT TARGET fpvm3
   OR NOT COMMAND pvmng_integration_test OR NOT COMMAND pvmng_unit_test)
  return()
endif()
get_property(pvmng_fortran_tests_done GLOBAL PROPERTY PVMNG_FORTRAN_TESTS)
if(pvmng_fortran_tests_done)
  return()
endif()
set_property(GLOBAL PROPERTY PVMNG_FORTRAN_TESTS ON)

set(IT_BINDIR ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
set(IT_VM ${CMAKE_CURRENT_LIST_DIR}/vm.sh)

# The Fortran peer (free form, fpvm3.h) and the C task that spawns it.
add_executable(it_fortran_peer ${CMAKE_CURRENT_LIST_DIR}/it_fortran_peer.f90)
target_link_libraries(it_fortran_peer PRIVATE fpvm3)
pvmng_fortran_target(it_fortran_peer)
add_executable(it_fortran_types ${CMAKE_CURRENT_LIST_DIR}/it_fortran_types.c)
target_include_directories(it_fortran_types PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(it_fortran_types PRIVATE pvm3 gpvm3)
add_dependencies(it_fortran_types it_fortran_peer)
pvmng_integration_test(fortran_types TIMEOUT 90)
set_tests_properties(integration.fortran_types PROPERTIES
  PASS_REGULAR_EXPRESSION "it_fortran_types: OK.*exit status 0")

# Message handlers registered from Fortran.
add_executable(it_fortran_mhf ${CMAKE_CURRENT_LIST_DIR}/it_fortran_mhf.f90)
target_link_libraries(it_fortran_mhf PRIVATE fpvm3)
pvmng_fortran_target(it_fortran_mhf)
pvmng_integration_test(fortran_mhf TIMEOUT 60)
set_tests_properties(integration.fortran_mhf PROPERTIES
  PASS_REGULAR_EXPRESSION "it_fortran_mhf: OK.*exit status 0")

# The Fortran examples, output checked (vm.sh prints "exit status 0" last
# only when the program succeeded).
function(pvmng_fortran_example name regex)
  add_test(NAME integration.fortran_${name}
           COMMAND ${IT_VM} --timeout 70 ${ARGN})
  set_tests_properties(integration.fortran_${name} PROPERTIES
    TIMEOUT 90 LABELS "integration;example"
    PASS_REGULAR_EXPRESSION "${regex}.*exit status 0")
endfunction()
pvmng_fortran_example(master_worker
  "fmaster: total 78498 primes below 1000000, serial count 78498: OK"
  ${IT_BINDIR} fortran_master_worker $<TARGET_FILE:fmaster> 6)
pvmng_fortran_example(ring
  "fring: 3 laps of 5 tasks, token value 15: OK"
  ${IT_BINDIR} fortran_ring $<TARGET_FILE:fring> 5 3)

# Imported targets are visible in the directory that made them only.
if(NOT TARGET PkgConfig::CMOCKA)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
pvmng_unit_test(test_fortran_strings
  ${CMAKE_CURRENT_LIST_DIR}/../unit/test_fortran_strings.c fpvm3_static)

# The mailbox from Fortran (pvmfputinfo, pvmfrecvinfo, pvmfdelinfo,
# pvmfgetmboxinfo).
add_executable(it_fortran_mbox ${CMAKE_CURRENT_LIST_DIR}/it_fortran_mbox.f)
target_link_libraries(it_fortran_mbox PRIVATE fpvm3)
pvmng_fortran_target(it_fortran_mbox)
pvmng_integration_test(fortran_mbox TIMEOUT 60)
set_tests_properties(integration.fortran_mbox PROPERTIES
  PASS_REGULAR_EXPRESSION "it_fortran_mbox: OK.*exit status 0")
