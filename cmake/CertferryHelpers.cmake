# Shared build helpers: warnings and test registration by suffix/label.

function(certferry_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# certferry_test(NAME <name> SOURCES <files...> LIBS <libs...> LABEL unit|pg|e2e)
# Builds one gtest binary and registers it with ctest under the given label.
function(certferry_test)
  cmake_parse_arguments(T "" "NAME;LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} certferry_test_support
                        GTest::gmock GTest::gtest GTest::gtest_main)
  certferry_warnings(${T_NAME})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${T_LABEL} TIMEOUT 600)
endfunction()

# certferry_proto_library(<target> PROTO_ROOT <dir> PROTOS <rel paths...>)
# Generates C++ messages and gRPC stubs for the given .proto files (paths
# relative to PROTO_ROOT) into the build tree and builds them as a library.
function(certferry_proto_library target)
  cmake_parse_arguments(P "" "PROTO_ROOT" "PROTOS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(sources)
  foreach(rel ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(gen ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h
            ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc
        --proto_path=${P_PROTO_ROOT}
        --cpp_out=${out_dir}
        --grpc_out=${out_dir}
        --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
        ${P_PROTO_ROOT}/${rel}
      DEPENDS ${P_PROTO_ROOT}/${rel} protobuf::protoc gRPC::grpc_cpp_plugin
      COMMENT "protoc ${rel}")
    list(APPEND sources ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(${target} ${sources})
  target_include_directories(${target} PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
endfunction()
