# Installing gatgrad as a CMake package, so that another project can write
#   find_package(gatgrad 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE gatgrad::gatgrad)   # and #include <gatgrad/gatgrad.hpp>
#
# The install tree (`cmake --install build --prefix P`):
#   P/include/gatgrad/gatgrad.hpp                   the umbrella header (include/gatgrad/ in the source tree)
#   P/include/gatgrad/<folder>/*.hpp                the public headers of autograd/, io/, graph/, nn/, models/, train/, interop/
#   P/lib/libgatgrad_<folder>.a                     one library per folder
#   P/lib/cmake/gatgrad/gatgradConfig.cmake         find_package's entry point (cmake/gatgradConfig.cmake.in)
#   P/lib/cmake/gatgrad/gatgradConfigVersion.cmake  0.1.x satisfies find_package(gatgrad 0.1)
#   P/lib/cmake/gatgrad/gatgradTargets*.cmake       gatgrad::autograd, ::io, ::graph, ::nn, ::models, ::train, ::interop, ::gatgrad
#
# The headers include each other as "autograd/tensor.hpp", relative to the repository root; so
# every exported target puts both P/include (for <gatgrad/...>) and P/include/gatgrad (for those
# includes) on its consumers' include path. Headers internal to the kernels (autograd/kernels/,
# autograd/ops/, graph/kernels/: xsimd) and io/json.hpp (nlohmann/json)
# are not installed, so a consumer needs oneTBB (public: autograd/parallel.hpp), zlib (linked
# by the static io library) and xtensor (header-only, public: interop/ views tensors as xtensor
# arrays), not xsimd or nlohmann/json; gatgradConfig.cmake finds all three.
# Compile and link flags of gatgrad's own build (gatgrad_flags: -O3, -march=native, warnings,
# sanitizers) are linked as $<BUILD_INTERFACE:gatgrad_flags> and never reach the exported targets.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GATGRAD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gatgrad CACHE STRING
  "Where gatgradConfig.cmake is installed, relative to the install prefix")
mark_as_advanced(GATGRAD_INSTALL_CMAKEDIR)

# gatgrad_install_library(<target> <name>): installs <target> (a library of one folder, or an
# interface library) as gatgrad::<name>, in the export set gatgradTargets. In the build tree
# gatgrad::<name> is an alias of <target>, so code links the same names in and out of the tree.
function(gatgrad_install_library target name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  if(NOT TARGET gatgrad::${name})
    add_library(gatgrad::${name} ALIAS ${target})
  endif()
  install(TARGETS ${target} EXPORT gatgradTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_INSTALL_INCLUDEDIR}/gatgrad)
endfunction()

# gatgrad_install_headers([EXCLUDE <file>...]): installs the .hpp files of the calling folder
# (not of its subfolders) to include/gatgrad/<folder>/, but the files named after EXCLUDE.
function(gatgrad_install_headers)
  cmake_parse_arguments(arg "" "" "EXCLUDE" ${ARGN})
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  foreach(excluded IN LISTS arg_EXCLUDE)
    list(REMOVE_ITEM headers ${CMAKE_CURRENT_SOURCE_DIR}/${excluded})
  endforeach()
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  install(FILES ${headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatgrad/${folder})
endfunction()

# gatgrad_install_package(): the umbrella header and the package files; called once, after every
# folder has installed its library and headers.
function(gatgrad_install_package)
  install(FILES ${PROJECT_SOURCE_DIR}/include/gatgrad/gatgrad.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatgrad)
  install(EXPORT gatgradTargets NAMESPACE gatgrad:: FILE gatgradTargets.cmake
    DESTINATION ${GATGRAD_INSTALL_CMAKEDIR})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gatgradConfig.cmake.in
    ${PROJECT_BINARY_DIR}/gatgradConfig.cmake
    INSTALL_DESTINATION ${GATGRAD_INSTALL_CMAKEDIR})
  # 0.x: a minor version may break the API, so find_package(gatgrad 0.1) accepts 0.1.* only.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/gatgradConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/gatgradConfig.cmake ${PROJECT_BINARY_DIR}/gatgradConfigVersion.cmake
    DESTINATION ${GATGRAD_INSTALL_CMAKEDIR})
endfunction()
