# Chooses the AMD GPU targets to build for: every target the local hipcc can
# compile among the CDNA parts this backend measures (gfx90a, gfx940, gfx942,
# gfx950) plus every GPU present on this host (amdgpu-arch or
# rocm_agent_enumerator). A lab builds on its own host with `npm install`
# against its own ROCm, so MI300X/MI325X (gfx942) and MI350 (gfx950) code is
# built wherever its compiler knows them. A GPU present that the compiler
# cannot build for is named in a warning (the backend then reports it as not
# measurable). TPPVERIFY_HIP_TARGETS, when set, is taken as it is.
#
# Also runs as a script, so the choice is tested with stand-in tools:
#   cmake -DHIPCC=… -DAGENT_LISTERS="a;b" -P native/hip/hip_targets.cmake
# prints "tppverify hip targets: …".

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)  # IN_LIST and the rest, as in the project
endif()

set(TPPVERIFY_HIP_CANDIDATE_TARGETS gfx90a gfx940 gfx942 gfx950)

# Whether `hipcc` compiles an empty kernel for `target`.
function(tppverify_hipcc_knows hipcc target scratch out_var)
  file(WRITE "${scratch}/probe.hip" "__global__ void tppverify_probe() {}\n")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env HIP_PLATFORM=amd "${hipcc}" --offload-arch=${target} -x hip --offload-device-only
            -c "${scratch}/probe.hip" -o "${scratch}/probe-${target}.o"
    RESULT_VARIABLE status OUTPUT_QUIET ERROR_QUIET TIMEOUT 120)
  if(status EQUAL 0)
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

# The gfx targets of the GPUs on this host, from the first lister that names any.
function(tppverify_present_gpus listers out_var)
  set(found)
  foreach(lister ${listers})
    if(NOT EXISTS "${lister}")
      continue()
    endif()
    execute_process(COMMAND "${lister}" OUTPUT_VARIABLE listed ERROR_QUIET RESULT_VARIABLE status TIMEOUT 30)
    string(REGEX MATCHALL "gfx[0-9a-f]+" names "${listed}")
    list(REMOVE_ITEM names gfx000)  # rocm_agent_enumerator's entry for the CPU agent
    if(names)
      list(APPEND found ${names})
      break()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES found)
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

function(tppverify_choose_hip_targets hipcc listers scratch out_var)
  tppverify_present_gpus("${listers}" present)
  set(wanted ${TPPVERIFY_HIP_CANDIDATE_TARGETS} ${present})
  list(REMOVE_DUPLICATES wanted)
  set(chosen)
  foreach(target ${wanted})
    tppverify_hipcc_knows("${hipcc}" ${target} "${scratch}" known)
    if(known)
      list(APPEND chosen ${target})
    elseif(target IN_LIST present)
      message(WARNING "this host has a ${target} GPU, but ${hipcc} cannot compile for it: the HIP backend will report it as not measurable (a newer ROCm knows it)")
    endif()
  endforeach()
  if(NOT chosen)
    message(FATAL_ERROR "${hipcc} compiles for none of ${wanted}: set TPPVERIFY_HIP_TARGETS or TPPVERIFY_HIP=OFF")
  endif()
  set(${out_var} "${chosen}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT DEFINED SCRATCH)
    set(SCRATCH "${CMAKE_CURRENT_BINARY_DIR}/hip-target-probe")
  endif()
  file(MAKE_DIRECTORY "${SCRATCH}")
  tppverify_choose_hip_targets("${HIPCC}" "${AGENT_LISTERS}" "${SCRATCH}" chosen)
  string(REPLACE ";" "," chosen_csv "${chosen}")
  message(STATUS "tppverify hip targets: ${chosen_csv}")
endif()
