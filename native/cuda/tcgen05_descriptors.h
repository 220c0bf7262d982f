// The two descriptors tcgen05.mma reads, as plain constexpr functions so the
// encodings are checked at compile time against values worked out by hand
// from PTX ISA §9.7.16.4 (Tables 40 and 42).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define TPPVERIFY_TCGEN05_HD __host__ __device__
#else
#define TPPVERIFY_TCGEN05_HD
#endif

namespace tppverify::cuda::tcgen05 {

// cta_group::1 with M = 128: one accumulator row per TMEM lane.
constexpr int kM = 128;
// Tensor memory: 128 lanes × 512 columns of 32 bits per SM.
constexpr int kTmemColumns = 512;

// Instruction descriptor fields (Table 42; CUTLASS InstrDescriptor): D type in
// bits 4–5, A type 7–9, B type 10–12, K-major A and B (bits 15, 16 = 0),
// N >> 3 in bits 17–22, M >> 4 in bits 24–28.
constexpr uint32_t kDTypeF32 = 1, kDTypeS32 = 2;
constexpr uint32_t kTypeF16 = 0, kTypeBf16 = 1, kTypeTf32 = 2;  // .kind::f16 / .kind::tf32
constexpr uint32_t kTypeE4m3 = 0;                                // .kind::f8f6f4
constexpr uint32_t kTypeS8 = 1;                                  // .kind::i8 (signed)

TPPVERIFY_TCGEN05_HD constexpr uint32_t instructionDescriptor(uint32_t dType, uint32_t aType, uint32_t bType, int m, int n) {
  return (dType << 4) | (aType << 7) | (bType << 10) | (uint32_t(n >> 3) << 17) | (uint32_t(m >> 4) << 24);
}

// Shared memory descriptor (Table 40): start address, leading and stride byte
// offsets, each (x & 0x3FFFF) >> 4; the fixed 0b001 in bits 46–48; base offset
// 0 and no swizzle (bits 61–63 = 0). K-major without swizzle is built of 8-row
// × 16-byte core matrices: LBO 128 B to the K-adjacent one, SBO 256 B to the
// next 8-row group — the wgmma kernels' layout, whose every address stays
// inside the filled tiles even with the two roles swapped.
constexpr uint32_t kLeadingByteOffset = 128;
constexpr uint32_t kStrideByteOffset = 256;
constexpr uint64_t kDescriptorVersion = uint64_t(1) << 46;

TPPVERIFY_TCGEN05_HD constexpr uint64_t encode14(uint32_t bytes) { return uint64_t((bytes & 0x3FFFF) >> 4); }

TPPVERIFY_TCGEN05_HD constexpr uint64_t sharedMemoryDescriptor(uint32_t sharedAddress) {
  return encode14(sharedAddress) | (encode14(kLeadingByteOffset) << 16) | (encode14(kStrideByteOffset) << 32) | kDescriptorVersion;
}

// Worked by hand: f32 D (1 << 4), f16 A and B (0), N = 256 → 32 << 17, M = 128 → 8 << 24.
static_assert(instructionDescriptor(kDTypeF32, kTypeF16, kTypeF16, 128, 256) == 0x08400010u);
// s32 D (2 << 4), s8 A and B (1 << 7 | 1 << 10), N = 128 → 16 << 17, M = 128.
static_assert(instructionDescriptor(kDTypeS32, kTypeS8, kTypeS8, 128, 128) == 0x082004A0u);
// Address 0x400 → 0x40; LBO 128 → 8 at bit 16; SBO 256 → 16 at bit 32; bit 46.
static_assert(sharedMemoryDescriptor(0x400) == 0x0000401000080040ull);

}  // namespace tppverify::cuda::tcgen05
