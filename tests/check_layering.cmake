# The layering as a test: core/ and probes/ include no Qt; views/ include no
# torch and no model backend; the headers the GUI thread sees include no torch;
# datasets/ depends on core only. Run as `cmake -DSOURCE_DIR=... -P check_layering.cmake`.
set(violations "")

function(forbid pattern what)
  foreach(file ${ARGN})
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]${pattern}")
    foreach(line ${lines})
      file(RELATIVE_PATH relative ${SOURCE_DIR} ${file})
      list(APPEND violations "${relative}: ${what}: ${line}")
    endforeach()
  endforeach()
  set(violations ${violations} PARENT_SCOPE)
endfunction()

set(qt "(Q[A-Za-z]+|Qt[A-Za-z]*/)")
set(torch "(torch/|ATen/|c10/)")
file(GLOB_RECURSE core_probes ${SOURCE_DIR}/core/*.h ${SOURCE_DIR}/core/*.cpp ${SOURCE_DIR}/probes/*.h
     ${SOURCE_DIR}/probes/*.cpp)
file(GLOB_RECURSE views ${SOURCE_DIR}/views/*.h ${SOURCE_DIR}/views/*.cpp)
file(GLOB_RECURSE datasets ${SOURCE_DIR}/datasets/*.h ${SOURCE_DIR}/datasets/*.cpp)
file(GLOB gui_headers ${SOURCE_DIR}/app/gui/*.h)
set(torch_free_headers ${SOURCE_DIR}/probes/registry.h ${SOURCE_DIR}/probes/params.h ${SOURCE_DIR}/core/model_info.h
    ${SOURCE_DIR}/core/plot.h ${SOURCE_DIR}/core/progress.h ${gui_headers})

forbid("${qt}" "Qt in core/probes" ${core_probes})
forbid("${torch}" "torch in views" ${views})
forbid("core/(model|transformer|hooks|toy_mlp)\\.h" "the model backend in views" ${views})
forbid("${torch}" "torch in a header the GUI thread sees" ${torch_free_headers})
forbid("core/(model|transformer|hooks)\\.h" "the model backend in a header the GUI thread sees" ${gui_headers})
forbid("(probes|views|app)/" "datasets depend on core only" ${datasets})
forbid("${qt}" "Qt in datasets" ${datasets})

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering violations:\n  ${text}")
endif()
message(STATUS "layering: core, probes, datasets, views and the GUI headers keep to their layers")
