// The few pieces of cuBLASLt's C ABI the second method uses, declared here
// because the library is loaded at run time (dlopen, never linked) and its
// header (cublasLt.h) is not installed where this builds. Every value is the
// one cublasLt.h / cublas_api.h define and the cuBLAS documentation lists
// (https://docs.nvidia.com/cuda/cublas/, section "Using the cuBLASLt API"):
// the enums are part of the ABI and keep their values across releases.
// The data types (cudaDataType_t: CUDA_R_64F, CUDA_R_8F_E4M3, ...) come from
// the CUDA runtime's own library_types.h. Unproven until run on a GPU.
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>

namespace tppverify::cuda::lt {

// cublasStatus_t (cublas_api.h): CUBLAS_STATUS_SUCCESS = 0.
using Status = int;
inline constexpr Status kStatusSuccess = 0;

// Opaque handles (cublasLt.h: cublasLtHandle_t is a pointer to an opaque
// context; descriptors are pointers to 64-byte opaque structs).
using Handle = void*;
using MatmulDesc = void*;
using MatrixLayout = void*;
using MatmulPreference = void*;

// cublasComputeType_t (cublas_api.h; documentation "cublasComputeType_t").
enum ComputeType : int {
  kCompute32F = 68,           // CUBLAS_COMPUTE_32F
  kCompute32FFastTf32 = 77,   // CUBLAS_COMPUTE_32F_FAST_TF32
  kCompute64F = 70,           // CUBLAS_COMPUTE_64F
  kCompute32I = 72,           // CUBLAS_COMPUTE_32I
};

// cublasOperation_t (cublas_api.h): CUBLAS_OP_N = 0, CUBLAS_OP_T = 1.
inline constexpr int32_t kOpN = 0;
inline constexpr int32_t kOpT = 1;

// cublasLtMatmulDescAttributes_t (cublasLt.h; documentation
// "cublasLtMatmulDescAttributes_t"): COMPUTE_TYPE = 0, SCALE_TYPE = 1,
// POINTER_MODE = 2, TRANSA = 3, TRANSB = 4.
inline constexpr int kDescTransA = 3;
inline constexpr int kDescTransB = 4;

// cublasLtMatmulPreferenceAttributes_t: CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1 (uint64_t).
inline constexpr int kPrefMaxWorkspaceBytes = 1;

// cublasLtMatmulAlgo_t: uint64_t data[8] (documentation "cublasLtMatmulAlgo_t").
struct MatmulAlgo {
  uint64_t data[8];
};

// cublasLtMatmulHeuristicResult_t (documentation "cublasLtMatmulHeuristicResult_t").
struct HeuristicResult {
  MatmulAlgo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};

// The entry points, by the signatures cublasLt.h declares.
using CreateFn = Status (*)(Handle*);
using DestroyFn = Status (*)(Handle);
using MatmulDescCreateFn = Status (*)(MatmulDesc*, int computeType, cudaDataType_t scaleType);
using MatmulDescDestroyFn = Status (*)(MatmulDesc);
using MatmulDescSetAttributeFn = Status (*)(MatmulDesc, int attribute, const void* value, size_t bytes);
using MatrixLayoutCreateFn = Status (*)(MatrixLayout*, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld);
using MatrixLayoutDestroyFn = Status (*)(MatrixLayout);
using PreferenceCreateFn = Status (*)(MatmulPreference*);
using PreferenceDestroyFn = Status (*)(MatmulPreference);
using PreferenceSetAttributeFn = Status (*)(MatmulPreference, int attribute, const void* value, size_t bytes);
using AlgoGetHeuristicFn = Status (*)(Handle, MatmulDesc, MatrixLayout a, MatrixLayout b, MatrixLayout c, MatrixLayout d,
                                      MatmulPreference, int requested, HeuristicResult* results, int* returned);
using MatmulFn = Status (*)(Handle, MatmulDesc, const void* alpha, const void* a, MatrixLayout aDesc, const void* b,
                            MatrixLayout bDesc, const void* beta, const void* c, MatrixLayout cDesc, void* d, MatrixLayout dDesc,
                            const MatmulAlgo* algo, void* workspace, size_t workspaceBytes, cudaStream_t stream);

// NVML, for the SM clock around each trial (nvml.h: NVML_SUCCESS = 0,
// NVML_CLOCK_SM = 1; nvmlDevice_t is an opaque pointer).
namespace nvml {
using Device = void*;
inline constexpr int kSuccess = 0;
inline constexpr int kClockSm = 1;
using InitFn = int (*)();
using HandleByPciBusIdFn = int (*)(const char* pciBusId, Device* device);
using ClockInfoFn = int (*)(Device, int clockType, unsigned int* mhz);
}  // namespace nvml

}  // namespace tppverify::cuda::lt
