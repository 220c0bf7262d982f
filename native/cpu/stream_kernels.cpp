#include "stream_kernels.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tppverify::cpu {
namespace {

// Vectors per array per loop trip, per code variant (the run plan draws one,
// kStreamVariants): 2, 4 or 8 keep several cache lines outstanding per core
// without running out of registers on AVX2. Same results, different loop code.
constexpr int kUnrollOfVariant[kStreamVariants] = {4, 2, 8};

// Called through a volatile pointer so the compiler can neither inline nor
// replace it with its own loop: every pass runs the C library's memcpy.
void* (*volatile const libcMemcpy)(void*, const void*, size_t) = &std::memcpy;

// Plain C++ bodies: the fallback engine, and the tails of the vector engines.
double readScalar(const double* a, uint64_t begin, uint64_t end) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  uint64_t i = begin;
  for (; i + 4 <= end; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  for (; i < end; ++i) s0 += a[i];
  return (s0 + s1) + (s2 + s3);
}

void kernelScalar(StreamKernel kernel, const StreamArrays& x, uint64_t begin, uint64_t end, double value) {
  double* c = x.c;
  const double* a = x.a;
  const double* b = x.b;
  switch (kernel) {
    case StreamKernel::Write: for (uint64_t i = begin; i < end; ++i) c[i] = value; break;
    case StreamKernel::Copy: for (uint64_t i = begin; i < end; ++i) c[i] = a[i]; break;
    case StreamKernel::Scale: for (uint64_t i = begin; i < end; ++i) c[i] = value * a[i]; break;
    case StreamKernel::Add: for (uint64_t i = begin; i < end; ++i) c[i] = a[i] + b[i]; break;
    case StreamKernel::Triad: for (uint64_t i = begin; i < end; ++i) c[i] = a[i] + value * b[i]; break;
    case StreamKernel::Memcpy:
    case StreamKernel::Read: break;
  }
}

#if defined(__x86_64__)
// One vector engine per instruction set, generated from the same body so the
// kernels cannot drift apart. Stores are non-temporal: the output is not read
// back soon, and streaming stores avoid the read-for-ownership of each line.
#define TPPVERIFY_STREAM_ENGINE(SUFFIX, TARGET, VEC, WIDTH, LOAD, STREAM, ADD, MUL, FMA, SET1, SETZERO, REDUCE)        \
  template <int kUnroll>                                                                                             \
  __attribute__((target(TARGET))) double read##SUFFIX(const double* a, uint64_t begin, uint64_t end) {                \
    VEC s[4] = {SETZERO(), SETZERO(), SETZERO(), SETZERO()};                                                          \
    uint64_t i = begin;                                                                                              \
    for (; i + kUnroll * WIDTH <= end; i += kUnroll * WIDTH) {                                                       \
      _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u) s[u % 4] = ADD(s[u % 4], LOAD(a + i + u * WIDTH));     \
    }                                                                                                                \
    return REDUCE(ADD(ADD(s[0], s[1]), ADD(s[2], s[3]))) + readScalar(a, i, end);                                   \
  }                                                                                                                  \
  template <int kUnroll>                                                                                             \
  __attribute__((target(TARGET))) void kernel##SUFFIX(StreamKernel kernel, const StreamArrays& x, uint64_t begin,    \
                                                      uint64_t end, double value) {                                  \
    double* c = x.c;                                                                                                 \
    const double* a = x.a;                                                                                           \
    const double* b = x.b;                                                                                           \
    const VEC v = SET1(value);                                                                                       \
    /* Unrolled by kUnroll vectors per trip, as the read kernel is, for more loads in flight. */                    \
    const uint64_t step = kUnroll * WIDTH;                                                                           \
    uint64_t i = begin;                                                                                              \
    const uint64_t vectorEnd = begin + (end - begin) / step * step;                                                  \
    switch (kernel) {                                                                                                \
      case StreamKernel::Write:                                                                                      \
        for (; i < vectorEnd; i += step)                                                                             \
          _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u) STREAM(c + i + u * WIDTH, v);                    \
        break;                                                                                                       \
      case StreamKernel::Copy:                                                                                       \
        for (; i < vectorEnd; i += step)                                                                             \
          _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u) STREAM(c + i + u * WIDTH, LOAD(a + i + u * WIDTH)); \
        break;                                                                                                       \
      case StreamKernel::Scale:                                                                                      \
        for (; i < vectorEnd; i += step)                                                                             \
          _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u)                                                  \
            STREAM(c + i + u * WIDTH, MUL(v, LOAD(a + i + u * WIDTH)));                                              \
        break;                                                                                                       \
      case StreamKernel::Add:                                                                                        \
        for (; i < vectorEnd; i += step)                                                                             \
          _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u)                                                  \
            STREAM(c + i + u * WIDTH, ADD(LOAD(a + i + u * WIDTH), LOAD(b + i + u * WIDTH)));                        \
        break;                                                                                                       \
      case StreamKernel::Triad:                                                                                      \
        for (; i < vectorEnd; i += step)                                                                             \
          _Pragma("GCC unroll 8") for (int u = 0; u < kUnroll; ++u)                                                  \
            STREAM(c + i + u * WIDTH, FMA(v, LOAD(b + i + u * WIDTH), LOAD(a + i + u * WIDTH)));                     \
        break;                                                                                                       \
      case StreamKernel::Memcpy:                                                                                     \
      case StreamKernel::Read: break;                                                                                \
    }                                                                                                                \
    _mm_sfence(); /* make the streaming stores globally visible before the timer stops */                            \
    kernelScalar(kernel, x, i, end, value);                                                                          \
  }

__attribute__((target("avx2,fma"))) double reduceAvx2(__m256d v) {
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

// Not _mm512_reduce_add_pd or _mm512_extractf64x4_pd: GCC 12's versions trip
// -Wuninitialized in its own header.
__attribute__((target("avx512f"))) double reduceAvx512(__m512d v) {
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, v);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

TPPVERIFY_STREAM_ENGINE(Avx512, "avx512f", __m512d, 8, _mm512_load_pd, _mm512_stream_pd, _mm512_add_pd, _mm512_mul_pd,
                        _mm512_fmadd_pd, _mm512_set1_pd, _mm512_setzero_pd, reduceAvx512)
TPPVERIFY_STREAM_ENGINE(Avx2, "avx2,fma", __m256d, 4, _mm256_load_pd, _mm256_stream_pd, _mm256_add_pd, _mm256_mul_pd,
                        _mm256_fmadd_pd, _mm256_set1_pd, _mm256_setzero_pd, reduceAvx2)
#undef TPPVERIFY_STREAM_ENGINE
#endif

}  // namespace

StreamEngine bestStreamEngine(const IsaFeatures& isa) {
  if (isa.avx512f) return StreamEngine::Avx512;
  if (isa.avx2 && isa.fma) return StreamEngine::Avx2;
  return StreamEngine::Scalar;
}

const char* streamEngineName(StreamEngine engine) {
  switch (engine) {
    case StreamEngine::Avx512: return "avx512-nt";
    case StreamEngine::Avx2: return "avx2-nt";
    case StreamEngine::Scalar: return "scalar";
  }
  return "unknown";
}

namespace {
#if defined(__x86_64__)
template <int kUnroll>
double runVectorChunk(StreamEngine engine, StreamKernel kernel, const StreamArrays& arrays, uint64_t begin, uint64_t end, double value) {
  const bool isRead = kernel == StreamKernel::Read;
  if (engine == StreamEngine::Avx512) {
    if (isRead) return readAvx512<kUnroll>(arrays.a, begin, end);
    kernelAvx512<kUnroll>(kernel, arrays, begin, end, value);
    return 0;
  }
  if (isRead) return readAvx2<kUnroll>(arrays.a, begin, end);
  kernelAvx2<kUnroll>(kernel, arrays, begin, end, value);
  return 0;
}
#endif
}  // namespace

int streamUnrollOf(int variant) { return kUnrollOfVariant[variant]; }

double runStreamChunk(StreamEngine engine, StreamKernel kernel, const StreamArrays& arrays, uint64_t begin, uint64_t end,
                      double value, int variant) {
  const bool isRead = kernel == StreamKernel::Read;
  if (kernel == StreamKernel::Memcpy) {
    if (end > begin) libcMemcpy(arrays.c + begin, arrays.a + begin, size_t(end - begin) * sizeof(double));
    return 0;
  }
  switch (engine) {
#if defined(__x86_64__)
    case StreamEngine::Avx512:
    case StreamEngine::Avx2:
      switch (kUnrollOfVariant[variant]) {
        case 2: return runVectorChunk<2>(engine, kernel, arrays, begin, end, value);
        case 8: return runVectorChunk<8>(engine, kernel, arrays, begin, end, value);
        default: return runVectorChunk<4>(engine, kernel, arrays, begin, end, value);
      }
#endif
    default:
      if (isRead) return readScalar(arrays.a, begin, end);
      kernelScalar(kernel, arrays, begin, end, value);
      return 0;
  }
}

void fillStreamChunk(StreamEngine engine, double* out, uint64_t begin, uint64_t end, double value) {
  const StreamArrays arrays{nullptr, nullptr, out};
  runStreamChunk(engine, StreamKernel::Write, arrays, begin, end, value, 0);
}

}  // namespace tppverify::cpu
