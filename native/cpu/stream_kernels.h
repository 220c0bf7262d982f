// STREAM-style bandwidth kernels over arrays of doubles. Each kernel has one
// vectorised body per instruction set; the byte model lives beside it.
#pragma once

#include <cstdint>

#include "cpu_info.h"

namespace tppverify::cpu {

enum class StreamKernel { Read, Write, Copy, Scale, Add, Triad, Memcpy };

struct StreamKernelSpec {
  StreamKernel kind;
  const char* name;
  int arraysRead;     // arrays of `elements` doubles read per trial
  int arraysWritten;  // arrays written per trial (no write-allocate counted)
  const char* method; // "native": our code; "library": the second method (glibc's memcpy)
};

// read: sum(a); write: c = v; copy: c = a; scale: c = s*a; add: c = a + b; triad: c = a + s*b;
// memcpy: c = a by the C library's memcpy over each thread's slice (its own
// code path and store strategy, not ours: the bandwidth's second method).
inline constexpr StreamKernelSpec kStreamKernels[] = {
    {StreamKernel::Read, "read", 1, 0, "native"},   {StreamKernel::Write, "write", 0, 1, "native"},
    {StreamKernel::Copy, "copy", 1, 1, "native"},   {StreamKernel::Scale, "scale", 1, 1, "native"},
    {StreamKernel::Add, "add", 2, 1, "native"},     {StreamKernel::Triad, "triad", 2, 1, "native"},
    {StreamKernel::Memcpy, "memcpy", 1, 1, "library"},
};

// The engine the memcpy kernel records: the C library's routine, whatever the ISA.
inline constexpr const char* kLibcMemcpyEngine = "libc-memcpy";

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
