# menshen_protos(TARGET proto...): generates C++ for .proto files given
# relative to the current source folder, keeping their repository paths, so
# "lib/pack/pack.proto" is included as "lib/pack/pack.pb.h". The generated
# files are built through a custom target because TARGET may be defined in
# another folder, where this folder's custom commands would not be seen.
function(menshen_protos target)
  file(RELATIVE_PATH rel_dir ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(outputs)
  foreach(proto IN LISTS ARGN)
    get_filename_component(stem ${proto} NAME_WE)
    set(out ${PROJECT_BINARY_DIR}/${rel_dir}/${stem}.pb)
    add_custom_command(
      OUTPUT ${out}.cc ${out}.h
      COMMAND protobuf::protoc --cpp_out=${PROJECT_BINARY_DIR} -I ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto} protobuf::protoc
      COMMENT "protoc ${rel_dir}/${proto}"
      VERBATIM)
    list(APPEND outputs ${out}.cc ${out}.h)
  endforeach()
  string(REPLACE "/" "_" generated_target "${rel_dir}_protos")
  add_custom_target(${generated_target} DEPENDS ${outputs})
  add_dependencies(${target} ${generated_target})
  target_sources(${target} PRIVATE ${outputs})
endfunction()
