# The UI (ui/: React + Vite + Tailwind), built with npm and embedded in the binaries (docs/ui-api.md; the
# relay's dashboard: docs/dashboard-api.md). QUORUM_UI=ON (the default) builds it when npm is found; without
# npm, or with QUORUM_UI=OFF, the node serves a page that says the UI was left out, and so does the relay.
# Every file under ui/ that the build reads is a dependency, so a change there rebuilds the UI and relinks
# the binaries; nothing else is recompiled. One `vite build` serves both (its pages: index.html for the node,
# relay.html for the relay).
include_guard(GLOBAL)
option(QUORUM_UI "Build the local UI with npm and embed it in the node" ON)
find_program(QUORUM_NPM npm)

set(QUORUM_UI_SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/ui)
if(QUORUM_UI AND QUORUM_NPM AND EXISTS ${QUORUM_UI_SOURCE}/package.json)
  set(QUORUM_UI_DIST ${CMAKE_CURRENT_BINARY_DIR}/ui-dist)
  file(GLOB_RECURSE ui_inputs CONFIGURE_DEPENDS ${QUORUM_UI_SOURCE}/src/* ${QUORUM_UI_SOURCE}/public/*)
  file(GLOB ui_pages CONFIGURE_DEPENDS ${QUORUM_UI_SOURCE}/*.html)
  list(APPEND ui_inputs ${ui_pages} ${QUORUM_UI_SOURCE}/package.json ${QUORUM_UI_SOURCE}/package-lock.json)
  file(GLOB ui_configs CONFIGURE_DEPENDS ${QUORUM_UI_SOURCE}/vite.config.* ${QUORUM_UI_SOURCE}/tsconfig*.json)
  list(APPEND ui_inputs ${ui_configs})
  add_custom_command(
    OUTPUT ${QUORUM_UI_DIST}/index.html
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/build-ui.sh ${QUORUM_UI_SOURCE} ${QUORUM_UI_DIST}
    DEPENDS ${ui_inputs} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/build-ui.sh
    COMMENT "Building the local UI (npm, vite)"
    VERBATIM)
  set(QUORUM_UI_DEPENDENCY ${QUORUM_UI_DIST}/index.html)
else()
  message(STATUS "The local UI is left out of this build (QUORUM_UI=${QUORUM_UI}, npm: ${QUORUM_NPM})")
  set(QUORUM_UI_DIST ${CMAKE_CURRENT_BINARY_DIR}/ui-left-out)
  set(QUORUM_UI_DEPENDENCY "")
endif()

# Embeds the built UI in `target`: a generated source that defines <namespace>::embedded_assets() as
# declared in <header> (node/ui/ui_assets.h for the node; relay/dashboard_page.h for the relay), holding
# every file of the build when it has <page> (index.html, relay.html), none otherwise.
function(quorum_embed_ui target)
  cmake_parse_arguments(EMBED "" "HEADER;NAMESPACE;PAGE;NAME" "" ${ARGN})
  if(NOT EMBED_HEADER)
    set(EMBED_HEADER node/ui/ui_assets.h)
    set(EMBED_NAMESPACE quorum::node::ui)
    set(EMBED_PAGE index.html)
    set(EMBED_NAME ui_assets)
  endif()
  set(ui_cpp ${CMAKE_CURRENT_BINARY_DIR}/${EMBED_NAME}.cpp)
  add_custom_command(
    OUTPUT ${ui_cpp}
    COMMAND ${CMAKE_COMMAND} -DDIST=${QUORUM_UI_DIST} -DOUTPUT=${ui_cpp} -DHEADER=${EMBED_HEADER}
            -DNAMESPACE=${EMBED_NAMESPACE} -DPAGE=${EMBED_PAGE} -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui.cmake
    DEPENDS ${QUORUM_UI_DEPENDENCY} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui.cmake
    VERBATIM)
  target_sources(${target} PRIVATE ${ui_cpp})
endfunction()
