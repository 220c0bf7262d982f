# Builds native/hip into libtppverify_hip.so with hipcc, as a custom command:
# CMake 3.25's HIP language fails against Debian's ROCm layout.
# gfx940 (CDNA3) compiles with ROCm 5.2 and exercises the CDNA3 MFMA code; gfx942
# (MI300X/MI325X) and gfx950 need ROCm >= 6 on the build machine.
if(DEFINED ENV{TPPVERIFY_HIP_TARGETS})
  set(hip_default_targets "$ENV{TPPVERIFY_HIP_TARGETS}")
else()
  set(hip_default_targets "gfx90a;gfx940")
endif()
set(TPPVERIFY_HIP_TARGETS "${hip_default_targets}" CACHE STRING "AMD GPU targets for hipcc (semicolon-separated), e.g. gfx90a;gfx942;gfx950")

set(hip_sources ${CMAKE_SOURCE_DIR}/native/hip/hip_backend.cpp ${CMAKE_SOURCE_DIR}/native/hip/hip_bandwidth.cpp
    ${CMAKE_SOURCE_DIR}/native/hip/hip_mfma.cpp)
set(hip_headers ${CMAKE_SOURCE_DIR}/native/hip/hip_backend.h ${CMAKE_SOURCE_DIR}/native/hip/hip_check.h
    ${CMAKE_SOURCE_DIR}/native/core/backend.h ${CMAKE_SOURCE_DIR}/native/core/stream_patterns.h
    ${CMAKE_SOURCE_DIR}/native/core/gpu_host_logic.h)
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
