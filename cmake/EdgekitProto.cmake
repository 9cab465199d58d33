# edgekit_proto_library(NAME PROTOS a.proto b.proto [GRPC] [DEPS lib...])
# DEPS: the proto libraries whose .proto files these import.
# Generates C++ (and gRPC stubs with GRPC) from .proto files under proto/, keeping the
# directory layout so includes read "envoy/service/auth/v3/external_auth.pb.h".
function(edgekit_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS;DEPS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/gen)
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${EDGEKIT_PROTO_ROOT} ${abs})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(outs ${out_dir}/${base}.pb.cc ${out_dir}/${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${out_dir}/${base}.grpc.pb.cc ${out_dir}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_dir}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND protobuf::protoc --proto_path=${EDGEKIT_PROTO_ROOT}
              --cpp_out=${out_dir} ${plugin_args} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}")
    list(FILTER outs INCLUDE REGEX "\\.cc$")
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${name} STATIC ${srcs})
  # SYSTEM: our code includes these headers, but warnings in generated code are not ours
  # to fix (edgekit_warnings is not linked here either).
  target_include_directories(${name} SYSTEM PUBLIC ${out_dir})
  # gRPC only for libraries with services: a config schema must not pull gRPC into
  # what links it (the CLI).
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} protobuf::libprotobuf)
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()
