# Installs the C ABI: libmenshen.so, menshen.h, a CMake package
# (find_package(menshen) -> menshen::menshen) and menshen.pc; and the CLI.
include(CMakePackageConfigHelpers)

set(MENSHEN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/menshen)
set_target_properties(menshen_shared PROPERTIES EXPORT_NAME menshen)
install(TARGETS menshen_shared EXPORT menshenTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/capi/menshen.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS menshen RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT menshenTargets NAMESPACE menshen:: DESTINATION ${MENSHEN_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/menshenConfig.cmake.in
  ${PROJECT_BINARY_DIR}/menshenConfig.cmake INSTALL_DESTINATION ${MENSHEN_CMAKE_DIR})
# Before 1.0 a minor version may break the ABI (the soname says 0).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/menshenConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/menshenConfig.cmake
              ${PROJECT_BINARY_DIR}/menshenConfigVersion.cmake
        DESTINATION ${MENSHEN_CMAKE_DIR})

file(RELATIVE_PATH MENSHEN_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" MENSHEN_PC_TO_PREFIX "${MENSHEN_PC_TO_PREFIX}")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(MENSHEN_PC_RPATH "")  # the loader's default path
else()
  set(MENSHEN_PC_RPATH "-Wl,-rpath,\${libdir} ")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/menshen.pc.in ${PROJECT_BINARY_DIR}/menshen.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/menshen.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
