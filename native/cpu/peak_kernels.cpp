#include "peak_kernels.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tppverify::cpu {
namespace {

// Runtime ones and start values, so the compiler can neither fold the
// arithmetic nor merge the chains: identical chains from identical starts
// would be computed once (GCC does exactly that), and a verified result would
// then hide 1/16 of the work.
volatile double gOne = 1.0;
volatile int gStart[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
// The run plan's operand seed, added to every start value (setPeakOperandSeed).
volatile int gOperandSeed = 0;

// Independent accumulators per thread: FMA latency (4 cycles) × 2 FMA ports
// needs at least 8 in flight (Intel optimization manual, Skylake-SP onwards);
// 16 also covers the 5–6 cycle latency of VNNI/BF16 dot products.
#define TPP_REPEAT16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
// AVX2 has 16 ymm registers: 12 accumulators plus the two operands.
#define TPP_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
// The code variants (kPeakVariants, drawn by the run plan) differ in their
// number of chains, each still at least latency × issue width: FMA 4 × 2 = 8,
// VNNI/BF16 dot products 6 × 2 = 12, AVX-VNNI 5 × 2 = 10.
#define TPP_REPEAT8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define TPP_REPEAT10(X) TPP_REPEAT8(X) X(8) X(9)
#define TPP_REPEAT11(X) TPP_REPEAT10(X) X(10)
#define TPP_REPEAT14(X) TPP_REPEAT12(X) X(12) X(13)

// Steps per block keep every accumulator (start value up to 15 included)
// exact: below 2^24 for FP32 results, 2^11 for FP16 (11-bit significand),
// below 2^31 for INT32.
constexpr uint64_t kStepsPerBlock = 1u << 20;
constexpr uint64_t kFp16StepsPerBlock = 2048 - 16;
constexpr uint64_t kAmxStepsPerBlock = 1u << 16;

#define TPP_DECLARE(i) auto acc##i = START(gStart[i] + seed);
#define TPP_STEP(i) acc##i = OP(acc##i);
#define TPP_CHECK(i) bad += MISMATCHES(acc##i, gStart[i] + seed);

// The three code variants of one kernel: NAME##0..2 with R0..R2 chains.
#define TPPVERIFY_PEAK_VARIANTS(NAME, TARGET, R0, R1, R2, STEPS, SETUP, START, OP, CORRUPT, MISMATCHES) \
  TPPVERIFY_PEAK_KERNEL(NAME##0, TARGET, R0, STEPS, SETUP, START, OP, CORRUPT, MISMATCHES)             \
  TPPVERIFY_PEAK_KERNEL(NAME##1, TARGET, R1, STEPS, SETUP, START, OP, CORRUPT, MISMATCHES)             \
  TPPVERIFY_PEAK_KERNEL(NAME##2, TARGET, R2, STEPS, SETUP, START, OP, CORRUPT, MISMATCHES)

// A vector peak kernel: accumulator chains advanced by OP once per step;
// after a block every lane must equal its start value + STEPS × (increment per step).
#define TPPVERIFY_PEAK_KERNEL(NAME, TARGET, REPEAT, STEPS, SETUP, START, OP, CORRUPT, MISMATCHES) \
  __attribute__((target(TARGET))) uint64_t NAME(uint64_t blocks, bool corrupt) {                      \
    SETUP;                                                                                            \
    const int seed = gOperandSeed;                                                                    \
    uint64_t bad = 0;                                                                                 \
    for (uint64_t block = 0; block < blocks; ++block) {                                               \
      REPEAT(TPP_DECLARE)                                                                             \
      for (uint64_t step = 0; step < STEPS; ++step) {                                                 \
        REPEAT(TPP_STEP)                                                                              \
      }                                                                                               \
      if (corrupt && block + 1 == blocks) acc0 = CORRUPT(acc0);                                       \
      REPEAT(TPP_CHECK)                                                                               \
    }                                                                                                 \
    return bad;                                                                                       \
  }

// Scalar variants: 8, 12 or 16 chains.
template <typename T, int kChains>
uint64_t scalarKernel(uint64_t blocks, bool corrupt) {
  const T x = T(gOne), y = T(gOne);
  const int seed = gOperandSeed;
  uint64_t bad = 0;
  for (uint64_t block = 0; block < blocks; ++block) {
    T acc[kChains];
    for (int k = 0; k < kChains; ++k) acc[k] = T(gStart[k] + seed);
    for (uint64_t step = 0; step < kStepsPerBlock; ++step)
      for (T& a : acc) a = a * x + y;
    if (corrupt && block + 1 == blocks) acc[0] += y;
    for (int k = 0; k < kChains; ++k) bad += acc[k] != T(gStart[k] + seed) + T(kStepsPerBlock);
  }
  return bad;
}
#define fp64Scalar0 scalarKernel<double, 8>
#define fp64Scalar1 scalarKernel<double, 12>
#define fp64Scalar2 scalarKernel<double, 16>
#define fp32Scalar0 scalarKernel<float, 8>
#define fp32Scalar1 scalarKernel<float, 12>
#define fp32Scalar2 scalarKernel<float, 16>

std::string always(const IsaFeatures&) { return ""; }

#if defined(__x86_64__)
// ---- FP64 / FP32 FMA: acc = acc * 1 + 1 ----
#define START(s) _mm512_set1_pd(double(s))
#define OP(a) _mm512_fmadd_pd(a, x, y)
#define CORRUPT(a) _mm512_add_pd(a, y)
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(_mm512_cmp_pd_mask(a, _mm512_set1_pd(double(s) + kStepsPerBlock), _CMP_NEQ_UQ)))
TPPVERIFY_PEAK_VARIANTS(fp64Avx512, "avx512f", TPP_REPEAT16, TPP_REPEAT12, TPP_REPEAT10, kStepsPerBlock,
                      const __m512d x = _mm512_set1_pd(gOne);
                      const __m512d y = _mm512_set1_pd(gOne), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

#define START(s) _mm512_set1_ps(float(s))
#define OP(a) _mm512_fmadd_ps(a, x, y)
#define CORRUPT(a) _mm512_add_ps(a, y)
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(_mm512_cmp_ps_mask(a, _mm512_set1_ps(float(s) + kStepsPerBlock), _CMP_NEQ_UQ)))
TPPVERIFY_PEAK_VARIANTS(fp32Avx512, "avx512f", TPP_REPEAT16, TPP_REPEAT12, TPP_REPEAT10, kStepsPerBlock,
                      const __m512 x = _mm512_set1_ps(float(gOne));
                      const __m512 y = _mm512_set1_ps(float(gOne)), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

#define START(s) _mm256_set1_pd(double(s))
#define OP(a) _mm256_fmadd_pd(a, x, y)
#define CORRUPT(a) _mm256_add_pd(a, y)
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(                                                                           \
      _mm256_movemask_pd(_mm256_cmp_pd(a, _mm256_set1_pd(double(s) + kStepsPerBlock), _CMP_NEQ_UQ))))
TPPVERIFY_PEAK_VARIANTS(fp64Avx2, "avx2,fma", TPP_REPEAT12, TPP_REPEAT10, TPP_REPEAT8, kStepsPerBlock,
                      const __m256d x = _mm256_set1_pd(gOne);
                      const __m256d y = _mm256_set1_pd(gOne), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

#define START(s) _mm256_set1_ps(float(s))
#define OP(a) _mm256_fmadd_ps(a, x, y)
#define CORRUPT(a) _mm256_add_ps(a, y)
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(                                                                           \
      _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(float(s) + kStepsPerBlock), _CMP_NEQ_UQ))))
TPPVERIFY_PEAK_VARIANTS(fp32Avx2, "avx2,fma", TPP_REPEAT12, TPP_REPEAT10, TPP_REPEAT8, kStepsPerBlock,
                      const __m256 x = _mm256_set1_ps(float(gOne));
                      const __m256 y = _mm256_set1_ps(float(gOne)), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

// ---- FP16 FMA (AVX512-FP16): acc = acc * 1 + 1 ----
#define START(s) _mm512_set1_ph(_Float16(s))
#define OP(a) _mm512_fmadd_ph(a, x, y)
#define CORRUPT(a) _mm512_add_ph(a, y)
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(                                                                           \
      _mm512_cmp_ph_mask(a, _mm512_set1_ph(_Float16(int(s) + int(kFp16StepsPerBlock))), _CMP_NEQ_UQ)))
TPPVERIFY_PEAK_VARIANTS(fp16Avx512, "avx512fp16,avx512bw,avx512vl", TPP_REPEAT16, TPP_REPEAT12, TPP_REPEAT10, kFp16StepsPerBlock,
                      const __m512h x = _mm512_set1_ph(_Float16(gOne));
                      const __m512h y = _mm512_set1_ph(_Float16(gOne)), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

// ---- BF16 dot product (AVX512-BF16): each FP32 lane += 1*1 + 1*1 ----
constexpr uint16_t kBf16One = 0x3F80;  // 1.0 in bfloat16
#define START(s) _mm512_set1_ps(float(s))
#define OP(a) _mm512_dpbf16_ps(a, ones, ones)
#define CORRUPT(a) _mm512_add_ps(a, _mm512_set1_ps(1.0f))
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(_mm512_cmp_ps_mask(a, _mm512_set1_ps(float(s) + 2 * kStepsPerBlock), _CMP_NEQ_UQ)))
TPPVERIFY_PEAK_VARIANTS(bf16Avx512, "avx512bf16,avx512f", TPP_REPEAT16, TPP_REPEAT14, TPP_REPEAT12, kStepsPerBlock,
                      const __m512bh ones = (__m512bh)_mm512_set1_epi16(short(kBf16One * gOne)), START, OP, CORRUPT,
                      MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

// ---- INT8 dot product (VNNI): each INT32 lane += four products 1*1 ----
#define START(s) _mm512_set1_epi32(s)
#define OP(a) _mm512_dpbusd_epi32(a, ones, ones)
#define CORRUPT(a) _mm512_add_epi32(a, _mm512_set1_epi32(1))
#define MISMATCHES(a, s) \
  uint64_t(__builtin_popcount(_mm512_cmpneq_epi32_mask(a, _mm512_set1_epi32(int(s) + int(4 * kStepsPerBlock)))))
TPPVERIFY_PEAK_VARIANTS(int8Avx512, "avx512vnni,avx512f", TPP_REPEAT16, TPP_REPEAT14, TPP_REPEAT12, kStepsPerBlock,
                      const __m512i ones = _mm512_set1_epi8(char(gOne)), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

#define START(s) _mm256_set1_epi32(s)
#define OP(a) _mm256_dpbusd_avx_epi32(a, ones, ones)
#define CORRUPT(a) _mm256_add_epi32(a, _mm256_set1_epi32(1))
#define MISMATCHES(a, s)                                                                     \
  uint64_t(8 - __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(                   \
                   _mm256_cmpeq_epi32(a, _mm256_set1_epi32(int(s) + int(4 * kStepsPerBlock)))))))
TPPVERIFY_PEAK_VARIANTS(int8AvxVnni, "avxvnni,avx2", TPP_REPEAT12, TPP_REPEAT11, TPP_REPEAT10, kStepsPerBlock,
                      const __m256i ones = _mm256_set1_epi8(char(gOne)), START, OP, CORRUPT, MISMATCHES)
#undef START
#undef OP
#undef CORRUPT
#undef MISMATCHES

// ---- AMX: 4 accumulator tiles (C = tmm0..3), 2 A tiles (tmm4,5), 2 B tiles (tmm6,7) ----
// Tile config layout: Intel SDM vol. 1, 18.2 (palette 1: 8 tiles of up to 16 rows × 64 bytes).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
constexpr int kTileRows = 16;
constexpr int kTileBytesPerRow = 64;
constexpr int kAmxTiles = 8;

// Linux refuses tile instructions until the process asks for the XTILEDATA
// state (docs.kernel.org/arch/x86/xstate.html).
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

std::string amxPermission() {
  static std::once_flag once;
  static std::string refusal;
  std::call_once(once, [] {
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
      refusal = std::string("Linux refused AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM): ") + std::strerror(errno);
  });
  return refusal;
}

__attribute__((target("amx-tile"))) void loadAmxTiles(const void* aAndB) {
  TileConfig config;
  for (int tile = 0; tile < kAmxTiles; ++tile) {
    config.rows[tile] = kTileRows;
    config.colsb[tile] = kTileBytesPerRow;
  }
  // Not _tile_loadconfig: GCC 12's version names only 8 bytes of the config as
  // an asm input, so the stores to rows/colsb are dropped as dead.
  __asm__ volatile("ldtilecfg %0" : : "m"(config));
  _tile_loadd(4, aAndB, kTileBytesPerRow);
  _tile_loadd(5, aAndB, kTileBytesPerRow);
  _tile_loadd(6, aAndB, kTileBytesPerRow);
  _tile_loadd(7, aAndB, kTileBytesPerRow);
}

// Stores the four accumulator tiles and counts elements that differ from `expected`.
template <typename T>
__attribute__((target("amx-tile"))) uint64_t checkAmxTiles(T expected, bool corrupt) {
  alignas(64) T out[4][kTileRows * kTileBytesPerRow / sizeof(T)];
  _tile_stored(0, out[0], kTileBytesPerRow);
  _tile_stored(1, out[1], kTileBytesPerRow);
  _tile_stored(2, out[2], kTileBytesPerRow);
  _tile_stored(3, out[3], kTileBytesPerRow);
  if (corrupt) out[0][0] += 1;
  uint64_t bad = 0;
  for (const auto& tile : out)
    for (T value : tile) bad += value != expected;
  return bad;
}

// The AMX code variants issue the four tile products in different orders.
#define TPP_AMX_ORDER0(TDP) TDP(0, 4, 6); TDP(1, 4, 7); TDP(2, 5, 6); TDP(3, 5, 7);
#define TPP_AMX_ORDER1(TDP) TDP(3, 5, 7); TDP(2, 5, 6); TDP(1, 4, 7); TDP(0, 4, 6);
#define TPP_AMX_ORDER2(TDP) TDP(0, 4, 6); TDP(3, 5, 7); TDP(1, 4, 7); TDP(2, 5, 6);
#define TPPVERIFY_AMX_KERNEL(NAME, TARGET, ELEMENT, ONE_BYTES, TDP, PER_STEP, ORDER)           \
  __attribute__((target(TARGET))) uint64_t NAME(uint64_t blocks, bool corrupt) {               \
    alignas(64) uint8_t operand[kTileRows * kTileBytesPerRow];                                 \
    for (int i = 0; i < kTileRows * kTileBytesPerRow; i += int(sizeof(ONE_BYTES)))            \
      std::memcpy(operand + i, &ONE_BYTES, sizeof(ONE_BYTES));                                 \
    loadAmxTiles(operand);                                                                     \
    uint64_t bad = 0;                                                                          \
    for (uint64_t block = 0; block < blocks; ++block) {                                        \
      _tile_zero(0);                                                                           \
      _tile_zero(1);                                                                           \
      _tile_zero(2);                                                                           \
      _tile_zero(3);                                                                           \
      for (uint64_t step = 0; step < kAmxStepsPerBlock; ++step) {                              \
        ORDER(TDP)                                                                             \
      }                                                                                        \
      bad += checkAmxTiles<ELEMENT>(ELEMENT(PER_STEP * kAmxStepsPerBlock), corrupt && block + 1 == blocks); \
    }                                                                                          \
    _tile_release();                                                                           \
    return bad;                                                                                \
  }

// TDPBF16PS: each FP32 element += 32 products 1*1 (16 bf16 pairs per 64-byte row).
const uint16_t kAmxBf16One = kBf16One;
TPPVERIFY_AMX_KERNEL(bf16Amx0, "amx-tile,amx-bf16", float, kAmxBf16One, _tile_dpbf16ps, 32, TPP_AMX_ORDER0)
TPPVERIFY_AMX_KERNEL(bf16Amx1, "amx-tile,amx-bf16", float, kAmxBf16One, _tile_dpbf16ps, 32, TPP_AMX_ORDER1)
TPPVERIFY_AMX_KERNEL(bf16Amx2, "amx-tile,amx-bf16", float, kAmxBf16One, _tile_dpbf16ps, 32, TPP_AMX_ORDER2)
// TDPBSSD: each INT32 element += 64 products 1*1.
const int8_t kAmxInt8One = 1;
TPPVERIFY_AMX_KERNEL(int8Amx0, "amx-tile,amx-int8", int32_t, kAmxInt8One, _tile_dpbssd, 64, TPP_AMX_ORDER0)
TPPVERIFY_AMX_KERNEL(int8Amx1, "amx-tile,amx-int8", int32_t, kAmxInt8One, _tile_dpbssd, 64, TPP_AMX_ORDER1)
TPPVERIFY_AMX_KERNEL(int8Amx2, "amx-tile,amx-int8", int32_t, kAmxInt8One, _tile_dpbssd, 64, TPP_AMX_ORDER2)

std::string needAvx512(const IsaFeatures& isa) { return isa.avx512f ? "" : "CPU or OS lacks AVX-512F"; }
std::string needAvx2(const IsaFeatures& isa) { return isa.avx2 && isa.fma ? "" : "CPU or OS lacks AVX2 and FMA3"; }
std::string needAvx512Fp16(const IsaFeatures& isa) { return isa.avx512fp16 ? "" : "CPU or OS lacks AVX512-FP16"; }
std::string needAvx512Bf16(const IsaFeatures& isa) { return isa.avx512bf16 ? "" : "CPU or OS lacks AVX512-BF16"; }
std::string needAvx512Vnni(const IsaFeatures& isa) { return isa.avx512vnni ? "" : "CPU or OS lacks AVX512-VNNI"; }
std::string needAvxVnni(const IsaFeatures& isa) { return isa.avxvnni ? "" : "CPU or OS lacks AVX-VNNI"; }
std::string needAmxBf16(const IsaFeatures& isa) {
  return isa.amxBf16 ? amxPermission() : "CPU or OS lacks AMX-BF16";
}
std::string needAmxInt8(const IsaFeatures& isa) {
  return isa.amxInt8 ? amxPermission() : "CPU or OS lacks AMX-INT8";
}

// Bounds for the plausibility check: no x86 core issues more than two vector
// FMA/dot-product instructions per clock (Golden Cove, Zen 4/5: two FMA ports;
// uops.info), four scalar multiply-adds, or one AMX TMUL every 16 cycles
// (Intel optimization manual, ch. 20, "TMUL throughput").
constexpr double kMaxVectorPerClock = 2;
constexpr double kMaxScalarPerClock = 4;
constexpr double kMaxAmxPerClock = 1.0 / 16;

// ops per instruction = lanes × products per lane × 2 (multiply and add);
// instructions per block = chains × steps, per code variant.
const PeakCase kCases[] = {
    {"FP64", "avx512", 8 * 2, {16 * kStepsPerBlock, 12 * kStepsPerBlock, 10 * kStepsPerBlock}, kMaxVectorPerClock, needAvx512, {fp64Avx5120, fp64Avx5121, fp64Avx5122}},
    {"FP64", "avx2", 4 * 2, {12 * kStepsPerBlock, 10 * kStepsPerBlock, 8 * kStepsPerBlock}, kMaxVectorPerClock, needAvx2, {fp64Avx20, fp64Avx21, fp64Avx22}},
    {"FP64", "scalar", 2, {8 * kStepsPerBlock, 12 * kStepsPerBlock, 16 * kStepsPerBlock}, kMaxScalarPerClock, always, {fp64Scalar0, fp64Scalar1, fp64Scalar2}},
    {"FP32", "avx512", 16 * 2, {16 * kStepsPerBlock, 12 * kStepsPerBlock, 10 * kStepsPerBlock}, kMaxVectorPerClock, needAvx512, {fp32Avx5120, fp32Avx5121, fp32Avx5122}},
    {"FP32", "avx2", 8 * 2, {12 * kStepsPerBlock, 10 * kStepsPerBlock, 8 * kStepsPerBlock}, kMaxVectorPerClock, needAvx2, {fp32Avx20, fp32Avx21, fp32Avx22}},
    {"FP32", "scalar", 2, {8 * kStepsPerBlock, 12 * kStepsPerBlock, 16 * kStepsPerBlock}, kMaxScalarPerClock, always, {fp32Scalar0, fp32Scalar1, fp32Scalar2}},
    {"FP16", "avx512", 32 * 2, {16 * kFp16StepsPerBlock, 12 * kFp16StepsPerBlock, 10 * kFp16StepsPerBlock}, kMaxVectorPerClock, needAvx512Fp16, {fp16Avx5120, fp16Avx5121, fp16Avx5122}},
    {"BF16", "avx512", 16 * 2 * 2, {16 * kStepsPerBlock, 14 * kStepsPerBlock, 12 * kStepsPerBlock}, kMaxVectorPerClock, needAvx512Bf16, {bf16Avx5120, bf16Avx5121, bf16Avx5122}},
    {"BF16", "amx", 16.0 * 16 * 32 * 2, {4 * kAmxStepsPerBlock, 4 * kAmxStepsPerBlock, 4 * kAmxStepsPerBlock}, kMaxAmxPerClock, needAmxBf16, {bf16Amx0, bf16Amx1, bf16Amx2}},
    {"INT8", "avx512", 16 * 4 * 2, {16 * kStepsPerBlock, 14 * kStepsPerBlock, 12 * kStepsPerBlock}, kMaxVectorPerClock, needAvx512Vnni, {int8Avx5120, int8Avx5121, int8Avx5122}},
    {"INT8", "avx-vnni", 8 * 4 * 2, {12 * kStepsPerBlock, 11 * kStepsPerBlock, 10 * kStepsPerBlock}, kMaxVectorPerClock, needAvxVnni, {int8AvxVnni0, int8AvxVnni1, int8AvxVnni2}},
    {"INT8", "amx", 16.0 * 16 * 64 * 2, {4 * kAmxStepsPerBlock, 4 * kAmxStepsPerBlock, 4 * kAmxStepsPerBlock}, kMaxAmxPerClock, needAmxInt8, {int8Amx0, int8Amx1, int8Amx2}},
};
#else
constexpr double kMaxScalarPerClock = 4;
const PeakCase kCases[] = {
    {"FP64", "scalar", 2, {8 * kStepsPerBlock, 12 * kStepsPerBlock, 16 * kStepsPerBlock}, kMaxScalarPerClock, always, {fp64Scalar0, fp64Scalar1, fp64Scalar2}},
    {"FP32", "scalar", 2, {8 * kStepsPerBlock, 12 * kStepsPerBlock, 16 * kStepsPerBlock}, kMaxScalarPerClock, always, {fp32Scalar0, fp32Scalar1, fp32Scalar2}},
};
#endif

// The members of a fallback chain: the vector engines that the next one only stands in for.
bool isFallbackChainEngine(const char* engine) {
  return std::strcmp(engine, "avx512") == 0 || std::strcmp(engine, "avx2") == 0 ||
         std::strcmp(engine, "scalar") == 0 || std::strcmp(engine, "avx-vnni") == 0;
}

}  // namespace

void setPeakOperandSeed(int seed) { gOperandSeed = seed; }

bool takesOperandSeed(const PeakCase& peak) {
  // FP16's block uses its whole 11-bit significand (2048 − 16 steps); AMX tiles start at zero.
  return std::strcmp(peak.format, "FP16") != 0 && std::strcmp(peak.engine, "amx") != 0;
}

const PeakCase* peakCases(int& count) {
  count = int(sizeof(kCases) / sizeof(kCases[0]));
  return kCases;
}

bool supersededByEarlierCase(const PeakCase& candidate, const IsaFeatures& isa) {
  if (!isFallbackChainEngine(candidate.engine)) return false;
  for (const PeakCase& earlier : kCases) {
    if (&earlier == &candidate) return false;
    if (std::strcmp(earlier.format, candidate.format) == 0 && isFallbackChainEngine(earlier.engine) &&
        earlier.unavailableReason(isa).empty())
      return true;
  }
  return false;
}

}  // namespace tppverify::cpu
