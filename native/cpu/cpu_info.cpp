#include "cpu_info.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TPPVERIFY_X86 1
#endif

namespace tppverify::cpu {
namespace {

std::string readFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

// sysfs cache sizes look like "48K", "2048K", "300M".
uint64_t parseSizeWithSuffix(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  uint64_t value = std::strtoull(text.c_str(), &end, 10);
  if (end && (*end == 'K' || *end == 'k')) value <<= 10;
  if (end && (*end == 'M' || *end == 'm')) value <<= 20;
  if (end && (*end == 'G' || *end == 'g')) value <<= 30;
  return value;
}

std::vector<int> allowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  if (cpus.empty()) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    for (int cpu = 0; cpu < std::max(1L, online); ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

#ifdef TPPVERIFY_X86
struct Regs { unsigned eax = 0, ebx = 0, ecx = 0, edx = 0; };

Regs cpuid(unsigned leaf, unsigned subleaf = 0) {
  Regs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

uint64_t readXcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

bool bit(unsigned reg, int index) { return (reg >> index) & 1u; }

// Feature bits: Intel SDM vol. 2A, CPUID leaf 01H and 07H tables; XCR0 layout: SDM vol. 1, 13.3.
IsaFeatures readIsa() {
  IsaFeatures isa;
  const unsigned maxLeaf = cpuid(0).eax;
  const Regs leaf1 = cpuid(1);
  const bool osxsave = bit(leaf1.ecx, 27);
  const uint64_t xcr0 = osxsave ? readXcr0() : 0;
  const bool osAvx = (xcr0 & 0x6) == 0x6;          // XMM and YMM state
  const bool osAvx512 = osAvx && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM_Hi256, Hi16_ZMM
  const bool osAmx = (xcr0 & (3ull << 17)) == (3ull << 17);  // XTILECFG, XTILEDATA

  const bool avx = bit(leaf1.ecx, 28) && osAvx;
  isa.fma = avx && bit(leaf1.ecx, 12);
  if (maxLeaf < 7) return isa;
  const Regs leaf7 = cpuid(7, 0);
  const Regs leaf7s1 = cpuid(7, 1);
  isa.avx2 = avx && bit(leaf7.ebx, 5);
  isa.avx512f = osAvx512 && bit(leaf7.ebx, 16);
  isa.avx512bw = isa.avx512f && bit(leaf7.ebx, 30);
  isa.avx512vl = isa.avx512f && bit(leaf7.ebx, 31);
  isa.avx512vnni = isa.avx512f && bit(leaf7.ecx, 11);
  isa.avx512fp16 = isa.avx512f && bit(leaf7.edx, 23);
  isa.avx512bf16 = isa.avx512f && bit(leaf7s1.eax, 5);
  isa.avxvnni = avx && bit(leaf7s1.eax, 4);
  isa.amxTile = osAmx && bit(leaf7.edx, 24);
  isa.amxBf16 = isa.amxTile && bit(leaf7.edx, 22);
  isa.amxInt8 = isa.amxTile && bit(leaf7.edx, 25);
  return isa;
}

void readIdentity(CpuInfo& info) {
  const Regs leaf0 = cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor, &leaf0.ebx, 4);
  std::memcpy(vendor + 4, &leaf0.edx, 4);
  std::memcpy(vendor + 8, &leaf0.ecx, 4);
  info.vendor = vendor;

  const Regs leaf1 = cpuid(1);
  const unsigned baseFamily = (leaf1.eax >> 8) & 0xF;
  const unsigned extFamily = (leaf1.eax >> 20) & 0xFF;
  const unsigned baseModel = (leaf1.eax >> 4) & 0xF;
  const unsigned extModel = (leaf1.eax >> 16) & 0xF;
  info.family = int(baseFamily == 0xF ? baseFamily + extFamily : baseFamily);
  info.modelNumber = int((baseFamily == 0x6 || baseFamily == 0xF) ? (extModel << 4) | baseModel : baseModel);
  info.stepping = int(leaf1.eax & 0xF);

  if (cpuid(0x80000000).eax >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    std::string text = brand;
    text.erase(0, text.find_first_not_of(' '));
    text.erase(text.find_last_not_of(' ') + 1);
    info.model = text;
  }
}
#endif

void readTopology(CpuInfo& info) {
  std::set<std::pair<int, int>> cores;
  std::set<int> packages;
  for (int cpu : info.cpus) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const std::string pkg = readFirstLine(base + "physical_package_id");
    const std::string core = readFirstLine(base + "core_id");
    const int pkgId = pkg.empty() ? 0 : std::stoi(pkg);
    const int coreId = core.empty() ? cpu : std::stoi(core);
    cores.insert({pkgId, coreId});
    packages.insert(pkgId);
  }
  info.physicalCores = int(cores.size());
  info.packages = int(packages.size());

  int nodes = 0;
  for (int node = 0; node < 4096; ++node) {
    std::ifstream probe("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist");
    if (!probe) break;
    ++nodes;
  }
  info.numaNodes = std::max(1, nodes);

  const long pages = sysconf(_SC_PHYS_PAGES);
  const long pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && pageSize > 0) info.memoryBytes = uint64_t(pages) * uint64_t(pageSize);
}

void readCaches(CpuInfo& info) {
  // key: (level, type) -> size and the set of distinct sharing lists
  std::map<std::pair<int, std::string>, std::pair<uint64_t, std::set<std::string>>> seen;
  for (int cpu : info.cpus) {
    for (int index = 0; index < 16; ++index) {
      const std::string base =
          "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/index" + std::to_string(index) + "/";
      const std::string level = readFirstLine(base + "level");
      if (level.empty()) break;
      const std::string type = readFirstLine(base + "type");
      auto& entry = seen[{std::stoi(level), type}];
      entry.first = parseSizeWithSuffix(readFirstLine(base + "size"));
      entry.second.insert(readFirstLine(base + "shared_cpu_list"));
    }
  }
  int highest = 0;
  for (const auto& [key, value] : seen) {
    CacheLevel cache;
    cache.level = key.first;
    cache.type = key.second;
    cache.bytesPerInstance = value.first;
    cache.instances = int(value.second.size());
    info.caches.push_back(cache);
    if (cache.type != "Instruction" && cache.level >= highest) {
      highest = cache.level;
      info.lastLevelCacheBytes = cache.bytesPerInstance * uint64_t(cache.instances);
    }
  }
}

}  // namespace

std::vector<std::string> IsaFeatures::names() const {
  std::vector<std::string> out;
  const std::pair<bool, const char*> all[] = {
      {fma, "fma"},           {avx2, "avx2"},           {avx512f, "avx512f"},       {avx512bw, "avx512bw"},
      {avx512vl, "avx512vl"}, {avx512vnni, "avx512_vnni"}, {avx512bf16, "avx512_bf16"}, {avx512fp16, "avx512_fp16"},
      {avxvnni, "avx_vnni"},  {amxTile, "amx_tile"},    {amxBf16, "amx_bf16"},      {amxInt8, "amx_int8"},
  };
  for (const auto& [present, name] : all)
    if (present) out.push_back(name);
  return out;
}

CpuInfo readCpuInfo() {
  CpuInfo info;
  info.cpus = allowedCpus();
#ifdef TPPVERIFY_X86
  readIdentity(info);
  info.isa = readIsa();
#else
  info.vendor = "unknown";
#endif
  if (info.model.empty()) info.model = "unknown CPU";
  readTopology(info);
  readCaches(info);
  return info;
}

}  // namespace tppverify::cpu
