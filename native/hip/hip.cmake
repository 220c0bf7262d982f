# Builds native/hip into libtppverify_hip.so with hipcc, as a custom command:
# CMake 3.25's HIP language fails against Debian's ROCm layout.
include(${CMAKE_CURRENT_LIST_DIR}/hip_targets.cmake)
if(DEFINED ENV{TPPVERIFY_HIP_TARGETS})
  set(hip_default_targets "$ENV{TPPVERIFY_HIP_TARGETS}")
elseif(NOT DEFINED CACHE{TPPVERIFY_HIP_TARGETS})
  get_filename_component(hip_bin "${TPPVERIFY_HIPCC}" DIRECTORY)
  find_program(TPPVERIFY_AMDGPU_ARCH amdgpu-arch PATHS "${hip_bin}" /opt/rocm/llvm/bin /opt/rocm/bin)
  find_program(TPPVERIFY_ROCM_AGENT_ENUMERATOR rocm_agent_enumerator PATHS "${hip_bin}" /opt/rocm/bin)
  set(hip_listers)
  foreach(lister TPPVERIFY_AMDGPU_ARCH TPPVERIFY_ROCM_AGENT_ENUMERATOR)
    if(${lister})
      list(APPEND hip_listers "${${lister}}")
    endif()
  endforeach()
  tppverify_choose_hip_targets("${TPPVERIFY_HIPCC}" "${hip_listers}" "${CMAKE_BINARY_DIR}/hip-target-probe" hip_default_targets)
endif()
set(TPPVERIFY_HIP_TARGETS "${hip_default_targets}" CACHE STRING "AMD GPU targets for hipcc (semicolon-separated), e.g. gfx90a;gfx942;gfx950")
message(STATUS "tppverify hip targets: ${TPPVERIFY_HIP_TARGETS}")

set(hip_sources ${CMAKE_SOURCE_DIR}/native/hip/hip_backend.cpp ${CMAKE_SOURCE_DIR}/native/hip/hip_bandwidth.cpp
    ${CMAKE_SOURCE_DIR}/native/hip/hip_mfma.cpp)
set(hip_headers ${CMAKE_SOURCE_DIR}/native/hip/hip_backend.h ${CMAKE_SOURCE_DIR}/native/hip/hip_check.h
    ${CMAKE_SOURCE_DIR}/native/core/backend.h ${CMAKE_SOURCE_DIR}/native/core/stream_patterns.h
    ${CMAKE_SOURCE_DIR}/native/core/gpu_host_logic.h ${CMAKE_SOURCE_DIR}/native/core/protocols.h)
set(hip_output ${CMAKE_BINARY_DIR}/hip/libtppverify_hip.so)
set(hip_arch_flags)
foreach(target ${TPPVERIFY_HIP_TARGETS})
  list(APPEND hip_arch_flags --offload-arch=${target})
endforeach()
# The backend names the targets it carries, so a device without code here is
# reported as not measurable instead of failing at its first launch.
string(REPLACE ";" "," hip_targets_csv "${TPPVERIFY_HIP_TARGETS}")

add_custom_command(
  OUTPUT ${hip_output}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/hip
  # hipcc picks the NVIDIA platform when it sees /usr/local/cuda: say AMD.
  COMMAND ${CMAKE_COMMAND} -E env HIP_PLATFORM=amd ${TPPVERIFY_HIPCC} ${hip_arch_flags}
          -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -DTPPVERIFY_HIP_BUILT_TARGETS="${hip_targets_csv}"
          -o ${hip_output} ${hip_sources}
  DEPENDS ${hip_sources} ${hip_headers}
  COMMENT "hipcc: libtppverify_hip.so for ${TPPVERIFY_HIP_TARGETS}"
  VERBATIM)
add_custom_target(tppverify_hip ALL DEPENDS ${hip_output})
# Beside the addon, where the loader looks for it.
add_custom_command(TARGET tppverify_hip POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E copy ${hip_output} $<TARGET_FILE_DIR:${PROJECT_NAME}>/)
