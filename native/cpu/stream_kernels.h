// STREAM-style bandwidth kernels over arrays of doubles. Each kernel has one
// vectorised body per instruction set; the byte model lives beside it.
#pragma once

#include <cstdint>

#include "cpu_info.h"

namespace tppverify::cpu {

enum class StreamKernel { Read, Write, Copy, Scale, Add, Triad };

struct StreamKernelSpec {
  StreamKernel kind;
  const char* name;
  int arraysRead;     // arrays of `elements` doubles read per trial
  int arraysWritten;  // arrays written per trial (no write-allocate counted)
};

// read: sum(a); write: c = v; copy: c = a; scale: c = s*a; add: c = a + b; triad: c = a + s*b.
inline constexpr StreamKernelSpec kStreamKernels[] = {
    {StreamKernel::Read, "read", 1, 0},   {StreamKernel::Write, "write", 0, 1}, {StreamKernel::Copy, "copy", 1, 1},
    {StreamKernel::Scale, "scale", 1, 1}, {StreamKernel::Add, "add", 2, 1},     {StreamKernel::Triad, "triad", 2, 1},
};

enum class StreamEngine { Avx512, Avx2, Scalar };

StreamEngine bestStreamEngine(const IsaFeatures& isa);
const char* streamEngineName(StreamEngine engine);

// Elements per chunk boundary: 64 bytes, so non-temporal vector stores stay aligned.
inline constexpr uint64_t kStreamAlignElements = 8;

struct StreamArrays {
  double* a;
  const double* b;
  double* c;
};

// Code variants of every vector stream kernel: vectors per array per loop
// trip (2, 4 or 8). The run plan draws one per kernel (harness/plan/run-plan.ts
// CPU_STREAM_VARIANTS must equal it); the scalar fallback has one body.
inline constexpr int kStreamVariants = 3;
int streamUnrollOf(int variant);

// Runs `kernel` over elements [begin, end) with code variant `variant` (< kStreamVariants);
// `value` is v (write) or s (scale, triad). Returns the partial sum for Read, 0 otherwise.
// begin must be a multiple of kStreamAlignElements.
double runStreamChunk(StreamEngine engine, StreamKernel kernel, const StreamArrays& arrays, uint64_t begin, uint64_t end,
                      double value, int variant);

// Fills [begin, end) of `out` with `value` using non-temporal stores where the engine has them.
void fillStreamChunk(StreamEngine engine, double* out, uint64_t begin, uint64_t end, double value);

}  // namespace tppverify::cpu
