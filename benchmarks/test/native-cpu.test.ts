// The CPU backend through the real addon, on small sizes: every kernel runs,
// verifies itself, and fails loudly when its output is corrupted.
import { describe, expect, it } from 'vitest';
import { BANDWIDTH_CASES, codeVariantsOf } from '../registry.js';
import { loadAddon, type NativeMeasurementError } from '../native-addon.js';

const addon = loadAddon();
const SMALL_ARRAY_BYTES = 4 * 2 ** 20;
const noProgress = () => {};

async function rejection(promise: Promise<unknown>): Promise<NativeMeasurementError> {
  try {
    await promise;
  } catch (error) {
    return error as NativeMeasurementError;
  }
  throw new Error('expected the measurement to fail');
}

describe('cpu device', () => {
  const cpu = addon.listBackends().find((b) => b.backend === 'cpu');

  it('is always built and lists one device with its attributes and their sources', () => {
    expect(cpu?.built).toBe(true);
    const device = cpu!.devices[0]!;
    expect(device.id).toBe('cpu');
    expect(device.computeUnits).toBeGreaterThan(0);
    const keys = device.attributes.map((a) => a.key);
    for (const key of ['logicalCpus', 'physicalCores', 'numaNodes', 'memoryBytes', 'lastLevelCacheBytes', 'isaFeatures']) {
      expect(keys).toContain(key);
    }
    expect(device.attributes.every((a) => a.source.length > 0)).toBe(true);
  });

  it('reads the last-level cache size from the machine rather than assuming one', () => {
    const llc = cpu!.devices[0]!.attributes.find((a) => a.key === 'lastLevelCacheBytes');
    expect(typeof llc?.value).toBe('number');
    expect(llc!.value as number).toBeGreaterThan(0);
  });
});

describe('cpu bandwidth kernels', () => {
  it('runs every registry kernel, times 10 trials and reports its byte model', async () => {
    const events: string[] = [];
    const result = await addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, trials: 10 }, (e) =>
      events.push(`${e.kernel}:${e.trial}`),
    );
    expect(result.kernels.map((k) => k.name)).toEqual(BANDWIDTH_CASES.map((c) => c.name));
    for (const kernel of result.kernels) {
      const model = BANDWIDTH_CASES.find((c) => c.name === kernel.name)!;
      expect(kernel.trialSeconds).toHaveLength(10);
      expect(kernel.bytesReadPerTrial).toBe(model.arraysRead * result.arrayBytes);
      expect(kernel.bytesWrittenPerTrial).toBe(model.arraysWritten * result.arrayBytes);
      expect(kernel.method, kernel.name).toBe(model.method);
    }
    // The second method: glibc's memcpy over each thread's slice, recorded as such.
    const memcpy = result.kernels.find((k) => k.name === 'memcpy')!;
    expect(memcpy).toMatchObject({ method: 'library', engine: 'libc-memcpy' });
    expect(result.kernels.filter((k) => k.method === 'library').map((k) => k.name)).toEqual(['memcpy']);
    expect(events).toContain('triad:0');
    expect(events).toContain('triad:10');
    expect(result.byteConvention).toMatch(/write-allocate traffic not counted/);
  });

  it.each(BANDWIDTH_CASES.map((c) => c.name))('fails, naming the kernel, when %s produces a wrong result', async (name) => {
    const error = await rejection(
      addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, trials: 2, kernels: [name], faultKernel: name }, noProgress),
    );
    expect(error.code).toBe('VERIFICATION_FAILED');
    expect(error.kernel).toBe(name);
    expect(error.message).toMatch(new RegExp(`^${name}: result verification failed`));
  });

  // Every code variant the run plan can draw (native kStreamVariants = registry CODE_VARIANTS.cpu).
  const streamVariants = Array.from({ length: codeVariantsOf('cpu', 'bandwidth') }, (_, v) => v);

  it.each(streamVariants)('code variant %i of every kernel runs, verifies itself with the plan\'s scalar, and says which ran', async (variant) => {
    const result = await addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, trials: 1, variant, streamScalar: 7.25 }, noProgress);
    expect(result.kernels.map((k) => k.name)).toEqual(BANDWIDTH_CASES.map((c) => c.name));
    for (const k of result.kernels) {
      // The second method's memcpy (libc) is one code path: variant 0 of 1.
      expect(k.variant, k.name).toBe(k.method === 'library' ? 0 : variant);
      expect(k.variantCount, k.name).toBe(codeVariantsOf('cpu', 'bandwidth', k.name));
    }
    expect(result.streamScalar).toBe(7.25);
    expect(result.runtimeCompilation).toBe('not applicable (CPU backend)');
    expect(result.threadsPerBlock).toBe(0);
  });

  it.each(streamVariants.flatMap((v) => ['read', 'scale', 'triad'].map((name) => [v, name] as const)))(
    'code variant %i of %s still fails its own check when its output is corrupted',
    async (variant, name) => {
      const error = await rejection(
        addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, trials: 1, kernels: [name], faultKernel: name, variant }, noProgress),
      );
      expect(error.code).toBe('VERIFICATION_FAILED');
      expect(error.kernel).toBe(name);
    },
  );

  it('refuses a variant it lacks, a scalar that would not stay exact, and a size factor outside the plan\'s range', async () => {
    const refused = async (request: Record<string, number>) =>
      rejection(addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, trials: 1, kernels: ['copy'], ...request }, noProgress));
    const variant = await refused({ variant: codeVariantsOf('cpu', 'bandwidth') });
    expect(variant.code).toBe('REQUEST_REFUSED');
    expect(variant.message).toMatch(/code variant 3 requested; this backend has variants 0 to 2/);
    expect((await refused({ streamScalar: 2.1 })).message).toMatch(/stream scalar 2\.1\d* is outside/);
    expect((await refused({ streamScalar: 9 })).code).toBe('REQUEST_REFUSED');
    expect((await refused({ arraySizeFactorPercent: 151 })).message).toMatch(/array size factor 151% is outside 100-150%/);
  });

  it('refuses an unknown kernel name', async () => {
    const error = await rejection(addon.measureBandwidth('cpu', 0, { arrayBytes: SMALL_ARRAY_BYTES, kernels: ['nt-copy'] }, noProgress));
    expect(error.code).toBe('REQUEST_REFUSED');
    expect(error.message).toMatch(/unknown bandwidth kernel 'nt-copy'/);
  });

  it('sizes arrays to at least 4 × the last-level cache and 256 MiB by default', async () => {
    // Only the sizing is checked here: one kernel, one trial, so the test stays short.
    const result = await addon.measureBandwidth('cpu', 0, { trials: 1, kernels: ['write'] }, noProgress);
    const sizing = Object.fromEntries(result.sizing.map((s) => [s.key, s.value as number]));
    expect(result.arrayBytes).toBeGreaterThanOrEqual(4 * sizing['lastLevelCacheBytes']!);
    expect(result.arrayBytes).toBeGreaterThanOrEqual(256 * 2 ** 20);
  });

  it('scales the rule by the plan\'s factor, rounded up to MiB, and records the factor', async () => {
    const result = await addon.measureBandwidth('cpu', 0, { trials: 1, kernels: ['write'], arraySizeFactorPercent: 115 }, noProgress);
    const sizing = Object.fromEntries(result.sizing.map((s) => [s.key, s.value as number]));
    const rule = Math.max(4 * sizing['lastLevelCacheBytes']!, sizing['minimumArrayBytes']!);
    const planned = Math.ceil(Math.ceil((rule * 115) / 100) / 2 ** 20) * 2 ** 20;
    expect(sizing['arraySizeFactorPercent']).toBe(115);
    expect(result.arrayBytes).toBeGreaterThanOrEqual(planned);
    expect(result.arrayBytes).toBeLessThan(planned + 64 * result.threads);
  });
});

describe('cpu throughput kernels', () => {
  const quick = { secondsPerTrial: 0.005, trials: 10 };

  it('measures every format the CPU has, verified, and says why the others are missing', async () => {
    const result = await addon.measureThroughput('cpu', 0, quick, noProgress);
    const formats = new Set(result.cases.map((c) => c.format));
    expect(formats.has('FP64')).toBe(true);
    expect(formats.has('FP32')).toBe(true);
    for (const c of result.cases) {
      if (c.available) {
        expect(c.trialSeconds).toHaveLength(10);
        expect(c.trialClockMhz).toHaveLength(10);
        expect(c.opsPerTrial).toBeGreaterThan(0);
        expect(c.units).toBeGreaterThan(0);
      } else {
        expect(c.unavailableReason).toMatch(/lacks|refused|has no cblas_|dlopen libopenblas|CBLAS interface has no/);
      }
    }
  });

  it('records OpenBLAS as the second method of every format, each right after its format\'s own cases', async () => {
    const result = await addon.measureThroughput('cpu', 0, quick, noProgress);
    const library = result.cases.filter((c) => c.method === 'library');
    expect(library.map((c) => `${c.format}/${c.engine}`)).toEqual(['FP64/openblas', 'FP32/openblas', 'FP16/openblas', 'BF16/openblas', 'INT8/openblas']);
    for (const c of library) {
      const last = result.cases.map((x) => x.format).lastIndexOf(c.format);
      expect(result.cases[last], c.format).toBe(c);
      expect(c.clockMethod).toMatch(/openblas_get_num_threads/);
      if (!c.available) expect(c.unavailableReason).toMatch(/^(dlopen libopenblas\.so\.0: |libopenblas\.so\.0 has no cblas_|OpenBLAS's CBLAS interface has no )/);
    }
    // No integer GEMM in OpenBLAS: named, never silently absent.
    expect(library.find((c) => c.format === 'INT8')).toMatchObject({ available: false, unavailableReason: "OpenBLAS's CBLAS interface has no INT8 GEMM" });
    // Installed in CI (.ci/run: libopenblas0-pthread): FP64 and FP32 always have cblas_dgemm and cblas_sgemm.
    for (const format of ['FP64', 'FP32']) {
      const c = library.find((x) => x.format === format)!;
      expect(c.available, c.unavailableReason).toBe(true);
      expect(c.trialSeconds).toHaveLength(10);
      expect(c.units).toBeGreaterThan(0);
      expect(c.opsPerTrial % (2 * 1024 ** 3)).toBe(0);
    }
    expect(result.cases.filter((c) => c.method !== 'library').every((c) => c.method === 'native')).toBe(true);
  });

  it('fails, naming the case, when any available kernel produces a wrong result', async () => {
    const listing = await addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1 }, noProgress);
    const available = listing.cases.filter((c) => c.available);
    expect(available.length).toBeGreaterThan(0);
    for (const c of available) {
      const label = `${c.format}/${c.engine}`;
      const error = await rejection(
        addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, formats: [c.format], faultCase: label }, noProgress),
      );
      expect(error.code, label).toBe('VERIFICATION_FAILED');
      expect(error.kernel, label).toBe(label);
    }
  });

  it('runs every code variant of every available format, verified, says which ran, and each still fails when corrupted', async () => {
    const count = codeVariantsOf('cpu', 'throughput');
    for (let variant = 0; variant < count; variant++) {
      const result = await addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, variant }, noProgress);
      const available = result.cases.filter((c) => c.available);
      expect(available.length).toBeGreaterThan(0);
      for (const c of available) {
        const label = `${c.format}/${c.engine} variant ${variant}`;
        // A library case (OpenBLAS, the second method) is one code path: variant 0 of 1.
        expect(c.variant, label).toBe(c.method === 'library' ? 0 : variant);
        expect(c.variantCount, label).toBe(c.method === 'library' ? 1 : count);
        const error = await rejection(
          addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, formats: [c.format], faultCase: `${c.format}/${c.engine}`, variant }, noProgress),
        );
        expect(error.code, label).toBe('VERIFICATION_FAILED');
      }
    }
    const refused = await rejection(addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, formats: ['FP64'], variant: count }, noProgress));
    expect(refused.code).toBe('REQUEST_REFUSED');
  });

  it('adds the plan\'s operand seed to every start value it can keep exact, verified, and refuses one out of bounds', async () => {
    const result = await addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, operandSeed: 1023 }, noProgress);
    for (const c of result.cases.filter((x) => x.available)) {
      expect(c.operandSeed, `${c.format}/${c.engine}`).toBe(c.format === 'FP16' || c.engine === 'amx' || c.method === 'library' ? 0 : 1023);
      const error = await rejection(
        addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, formats: [c.format], faultCase: `${c.format}/${c.engine}`, operandSeed: 1023 }, noProgress),
      );
      expect(error.code).toBe('VERIFICATION_FAILED');
    }
    const refused = await rejection(addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.001, trials: 1, operandSeed: 1024 }, noProgress));
    expect(refused.message).toMatch(/operand seed 1024 is outside 0 to 1023/);
  });
});

describe('cpu clock probe', () => {
  it('measures a clock per thread within the range any real core runs at', async () => {
    const clock = await addon.probeClock('cpu', 0);
    expect(clock.mhzPerThread.length).toBeGreaterThan(0);
    for (const mhz of clock.mhzPerThread) {
      // Far outside 200 MHz–7 GHz means a broken probe (an 11 GHz reading is a fused add chain).
      expect(mhz).toBeGreaterThan(200);
      expect(mhz).toBeLessThan(7000);
    }
    expect(clock.method).toMatch(/IMUL/);
  });
});

describe('gpu backends without a GPU', () => {
  it('lists no device and says why, for every GPU backend', () => {
    for (const listing of addon.listBackends().filter((b) => b.backend !== 'cpu')) {
      if (listing.devices.length === 0) expect(listing.reason.length).toBeGreaterThan(10);
    }
  });
});
