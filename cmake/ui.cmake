# The local UI (ui/: React + Vite + Tailwind), built with npm and embedded in the binary (docs/ui-api.md).
# QUORUM_UI=ON (the default) builds it when npm is found; without npm, or with QUORUM_UI=OFF, the node
# serves a page that says the UI was left out. Every file under ui/ that the build reads is a dependency,
# so a change there rebuilds the UI and relinks the node; nothing else is recompiled.
option(QUORUM_UI "Build the local UI with npm and embed it in the node" ON)
find_program(QUORUM_NPM npm)

function(quorum_embed_ui target)
  set(ui_source ${CMAKE_CURRENT_SOURCE_DIR}/ui)
  set(ui_dist ${CMAKE_CURRENT_BINARY_DIR}/ui-dist)
  set(ui_cpp ${CMAKE_CURRENT_BINARY_DIR}/ui_assets.cpp)
  set(dist_dependency "")
  if(QUORUM_UI AND QUORUM_NPM AND EXISTS ${ui_source}/package.json)
    file(GLOB_RECURSE ui_inputs CONFIGURE_DEPENDS ${ui_source}/src/* ${ui_source}/public/*)
    list(APPEND ui_inputs ${ui_source}/index.html ${ui_source}/relay.html ${ui_source}/package.json
         ${ui_source}/package-lock.json)
    file(GLOB ui_configs CONFIGURE_DEPENDS ${ui_source}/vite.config.* ${ui_source}/tsconfig*.json)
    list(APPEND ui_inputs ${ui_configs})
    add_custom_command(
      OUTPUT ${ui_dist}/index.html
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/build-ui.sh ${ui_source} ${ui_dist}
      DEPENDS ${ui_inputs} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/build-ui.sh
      COMMENT "Building the local UI (npm, vite)"
      VERBATIM)
    set(dist_dependency ${ui_dist}/index.html)
    set(dist_dir ${ui_dist})
  else()
    message(STATUS "The local UI is left out of this build (QUORUM_UI=${QUORUM_UI}, npm: ${QUORUM_NPM})")
    set(dist_dir ${CMAKE_CURRENT_BINARY_DIR}/ui-left-out)
  endif()
  add_custom_command(
    OUTPUT ${ui_cpp}
    COMMAND ${CMAKE_COMMAND} -DDIST=${dist_dir} -DOUTPUT=${ui_cpp} -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui.cmake
    DEPENDS ${dist_dependency} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui.cmake
    VERBATIM)
  target_sources(${target} PRIVATE ${ui_cpp})
endfunction()
