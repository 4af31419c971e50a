# The daemon's own integration tests. Each program starts pvmd itself (path
# as its argument) in a private runtime directory and speaks the wire
# protocol over raw Unix sockets, without libpvm. Included from
# tests/integration/CMakeLists.txt.
foreach(t bad_frames pvmd_lifecycle pvmd_requests)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    target_include_directories(test_${t} PRIVATE
      ${PROJECT_SOURCE_DIR}/libpvm/include)
    target_link_libraries(test_${t} PRIVATE pvmwire)
    add_test(NAME integration.${t} COMMAND test_${t} $<TARGET_FILE:pvmd>)
    set_tests_properties(integration.${t} PROPERTIES
      TIMEOUT 120 LABELS "integration;daemon")
  endif()
endforeach()
