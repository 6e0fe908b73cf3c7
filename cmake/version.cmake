# Run at build time (not only at configure time) so the binary's git revision follows commits.
# configure_file rewrites the header only when its content changes, so an unchanged revision
# triggers no rebuild.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE SIEVESIM_GIT_REV OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR SIEVESIM_GIT_REV STREQUAL "")
  set(SIEVESIM_GIT_REV "unknown")
endif()
configure_file(${SOURCE_DIR}/src/base/version.hpp.in ${OUTPUT} @ONLY)
