# Fails when the library references what a library in a server process must
# not use: printing, aborting or exiting (STYLE.md, "Library hygiene").
# cmake -DLIB=libmenshen.a -P check_symbols.cmake
execute_process(COMMAND nm -C --undefined-only "${LIB}"
                OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
set(forbidden printf fprintf vprintf puts fputs perror abort exit _exit quick_exit
    "std::cerr" "std::cout" "std::clog")
set(found "")
foreach(name IN LISTS forbidden)
  string(REGEX MATCH "U ${name}(@[^\n]*)?\n" hit "${symbols}")
  if(hit)
    list(APPEND found "${name}")
  endif()
endforeach()
if(found)
  message(FATAL_ERROR "${LIB} references ${found}")
endif()
message(STATUS "no printing, aborting or exiting in ${LIB}")
