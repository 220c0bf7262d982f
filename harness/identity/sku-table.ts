// What each declared product is, as data the device is compared with: PCI
// vendor/device ids, the reference board's subsystem id, and NVIDIA's chip
// SKU and project (the SPDM report's opaque fields, so only hardware-attested
// when CC/PPCIe gives evidence). Each value names its source; [V] checked on
// public samples, [I] inferred, as in the shared reference identity.md.

export interface SkuSource {
  covers: string;
  source: string;
}

export interface SkuEntry {
  product: string;
  /** Matches the declaration's vendor and product text. */
  vendor: 'NVIDIA' | 'AMD';
  matches: RegExp;
  pciVendorId: string;
  pciDeviceIds: string[];
  /** The reference board's subsystem id; OEM boards may differ (a note, not a finding against the unit). */
  pciSubsystemIds: string[];
  chipSku?: string;
  project?: string;
  projectSku?: string;
  sources: SkuSource[];
}

const PCI_IDS = 'pciutils/pciids pci.ids (commit c1c12547d626, 2026-08-22)';

export const SKU_TABLE: readonly SkuEntry[] = [
  {
    product: 'H100 SXM5 80GB',
    vendor: 'NVIDIA',
    matches: /\bH100\b.*\bSXM/i,
    pciVendorId: '0x10de',
    pciDeviceIds: ['0x2330'],
    pciSubsystemIds: ['0x16c1'],
    chipSku: '885',
    project: 'G520',
    projectSku: '0200',
    sources: [
      { covers: 'device id 2330 "GH100 [H100 SXM5 80GB]"', source: PCI_IDS },
      { covers: 'subsystem 0x16C110DE, board 692-2G520-0200-000', source: 'utkuozdemir/nvidia_gpu_exporter internal/captures (H100 80GB HBM3, 590.48.01), shared reference gpu-inventory.md §1' },
      { covers: 'chip SKU 885, project G520, project SKU 0200 [V]', source: 'NVIDIA/attestation-sdk evidence_hopper_590_12.json opaque fields; nvtrust RIM g520_0200_885_9600740001_PROD' },
    ],
  },
  {
    product: 'H200 SXM 141GB',
    vendor: 'NVIDIA',
    matches: /\bH200\b.*\bSXM/i,
    pciVendorId: '0x10de',
    pciDeviceIds: ['0x2335'],
    pciSubsystemIds: ['0x18bf'],
    chipSku: '895',
    project: 'G520',
    projectSku: '0280',
    sources: [
      { covers: 'device id 2335 "GH100 [H200 SXM 141GB]"', source: PCI_IDS },
      { covers: 'subsystem 10de:18bf [I]: one public lspci -nnk capture of an H200 SXM host', source: 'a test fixture in public code (lspci_nnk), not NVIDIA documentation' },
      { covers: 'chip SKU 895, project G520, project SKU 0280 [I]', source: 'NVIDIA/nvtrust issue 101: H200 RIM ids G520_0280_895' },
    ],
  },
  {
    product: 'Instinct MI300X',
    vendor: 'AMD',
    matches: /\bMI300X\b/i,
    pciVendorId: '0x1002',
    pciDeviceIds: ['0x74a1'],
    pciSubsystemIds: [],
    sources: [{ covers: 'device id 74a1 "Aqua Vanjaram [Instinct MI300X]"', source: PCI_IDS }],
  },
  {
    product: 'Instinct MI325X',
    vendor: 'AMD',
    matches: /\bMI325X\b/i,
    pciVendorId: '0x1002',
    pciDeviceIds: ['0x74a5'],
    pciSubsystemIds: [],
    sources: [{ covers: 'device id 74a5 "Aqua Vanjaram [Instinct MI325X]"', source: PCI_IDS }],
  },
];

export function skuFor(vendor: string, product: string): SkuEntry | undefined {
  return SKU_TABLE.find((s) => s.vendor.toLowerCase() === vendor.trim().toLowerCase() && s.matches.test(product));
}
