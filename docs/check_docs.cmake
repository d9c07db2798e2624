# Runs doxygen on the public headers; fails with the warnings if there are any.
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${DOXYGEN} ${DOXYFILE} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
file(READ ${OUT}/warnings.log warnings)
if(NOT rc EQUAL 0 OR NOT warnings STREQUAL "")
  message(FATAL_ERROR "doxygen reported problems in the public headers:\n${warnings}")
endif()
message(STATUS "ok: every public symbol is documented")
