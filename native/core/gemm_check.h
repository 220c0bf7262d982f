// The second method's GEMM check, written once for every library backend
// (OpenBLAS on the CPU, cuBLASLt on CUDA): C = A·B of n×n small-integer
// matrices, every product exact in the format, so the result is checked
// exactly: every row and column sum of C against A·(B's row sums) and
// (A's column sums)·B, which any wrong or missing entry (and any NaN left by
// the poison) changes, plus `samples` entries recomputed in full from a
// per-run linear congruential sequence (Knuth's MMIX constants).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tppverify::gemm {

// a(i, k), b(k, j) and c(i, j) read the operands and the result wherever
// they live; the number of checks that failed is returned (0: exact).
template <typename A, typename B, typename C>
uint64_t countWrongEntries(size_t n, uint64_t run, int samples, const A& a, const B& b, const C& c) {
  std::vector<double> bRowSum(n, 0.0), aColSum(n, 0.0), cRowSum(n, 0.0), cColSum(n, 0.0);
  for (size_t k = 0; k < n; ++k) {
    for (size_t j = 0; j < n; ++j) bRowSum[k] += b(k, j);
    for (size_t i = 0; i < n; ++i) aColSum[k] += a(i, k);
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double v = c(i, j);
      cRowSum[i] += v;
      cColSum[j] += v;
    }
  }
  uint64_t bad = 0;
  for (size_t x = 0; x < n; ++x) {
    double row = 0, col = 0;
    for (size_t k = 0; k < n; ++k) {
      row += a(x, k) * bRowSum[k];
      col += aColSum[k] * b(k, x);
    }
    bad += cRowSum[x] != row;  // a NaN left anywhere fails here too
    bad += cColSum[x] != col;
  }
  uint64_t state = run * 0x9E3779B97F4A7C15ull + 1;
  for (int s = 0; s < samples; ++s) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const size_t i = size_t(state >> 33) % n, j = size_t(state >> 13) % n;
    double exact = 0;
    for (size_t k = 0; k < n; ++k) exact += a(i, k) * b(k, j);
    bad += c(i, j) != exact;
  }
  return bad;
}

}  // namespace tppverify::gemm
