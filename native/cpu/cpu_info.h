// What the host CPU is and what it can execute: CPUID (with the OS's XSAVE
// support checked), caches and topology from sysfs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tppverify::cpu {

struct IsaFeatures {
  bool fma = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool avx512fp16 = false;
  bool avxvnni = false;
  bool amxTile = false;
  bool amxBf16 = false;
  bool amxInt8 = false;
  std::vector<std::string> names() const;
};

struct CacheLevel {
  int level = 0;
  std::string type;       // "Data", "Instruction", "Unified"
  uint64_t bytesPerInstance = 0;
  int instances = 0;      // distinct shared_cpu_list values among online CPUs
};

struct CpuInfo {
  std::string vendor;
  std::string model;
  int family = 0, modelNumber = 0, stepping = 0;
  std::vector<int> cpus;  // logical CPUs this process may run on
  int physicalCores = 0;  // distinct (package, core) among `cpus`
  int packages = 0;
  int numaNodes = 0;
  uint64_t memoryBytes = 0;
  std::vector<CacheLevel> caches;
  uint64_t lastLevelCacheBytes = 0;  // total across instances of the highest level
  IsaFeatures isa;
};

CpuInfo readCpuInfo();

}  // namespace tppverify::cpu
