// `tppverify lot plan MANIFEST --nonce HEX [--sample N | --plan NAME]`
import { parseNonce } from '../../attest.js';
import { UsageError } from '../../errors.js';
import { readManifestFile } from '../../lot/manifest.js';
import { drawSample, fixedCountPlan, PLANS, Z14_GENERAL_LEVEL_II, type SamplePlan } from '../../lot/sampling.js';
import type { CliIo } from '../io.js';

export interface LotPlanOptions {
  nonce?: string;
  sample?: number;
  plan?: string;
  json: boolean;
}

function choosePlan(options: LotPlanOptions): SamplePlan {
  if (options.sample !== undefined && options.plan !== undefined) throw new UsageError('give --sample or --plan, not both');
  if (options.sample !== undefined) return fixedCountPlan(options.sample);
  if (options.plan === undefined) return Z14_GENERAL_LEVEL_II;
  const plan = PLANS[options.plan];
  if (!plan) throw new UsageError(`unknown plan '${options.plan}' (known: ${Object.keys(PLANS).join(', ')})`);
  return plan;
}

export async function runLotPlan(file: string, options: LotPlanOptions, io: CliIo): Promise<void> {
  if (options.nonce === undefined) throw new UsageError("lot plan needs the lab's --nonce: the sample must be reproducible");
  const nonce = parseNonce(options.nonce);
  const plan = choosePlan(options);
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = drawSample(manifest, sha256, nonce, plan);
  if (options.json) {
    io.out(JSON.stringify({ lotId: manifest.lotId, ...sample }) + '\n');
    return;
  }
  io.out(`lot ${manifest.lotId}: ${sample.sampled.length} of ${sample.lotSize} units (${plan.description})\n`);
  io.out(`manifest SHA-256 ${sha256}, nonce ${sample.nonceHex}\n`);
  for (const unit of sample.sampled) io.out(`  ${unit.serial}${unit.uuid ? `  ${unit.uuid}` : ''}\n`);
}
