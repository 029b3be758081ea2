/**
 * The documented Cloud Run GPU rules (gcp-apis.md §2; cloud.google.com/run/docs/
 * configuring/services/gpu), as data plus one pure check. Every diagnostic names the
 * rule and the allowed values, and is found before the first API call.
 */
import type { Diagnostic, Manifest } from '../../src/engine/types';
import type { GpuModelSpec } from '../generated/manifests';
import { formatMemory, parseCpu, parseMemory } from '../shared/quantity';

const GI = 2 ** 30;

/** One GPU type Cloud Run attaches to service instances. */
export interface GpuType {
  /** Human name for messages. */
  label: string;
  /** Per-instance minimums while the GPU is attached. */
  minCpu: number;
  minMemoryGi: number;
  /** Per-instance maximums, where documented. */
  maxCpu?: number;
  maxMemoryGi?: number;
  /** Whole vCPU counts Cloud Run accepts, where documented. */
  cpuChoices?: number[];
  /** Regions that offer it. */
  regions: string[];
}

/**
 * Supported GPU types. L4: 4–8 vCPU (4, 6 or 8), 16–32 GiB and at most 4 GiB per vCPU
 * (the Cloud Run CPU/memory table). RTX PRO 6000 (Preview): at least 20 vCPU and 80 GiB;
 * its maximums and full region list were not published when this was written, so only
 * the minimums and the regions seen in Google's codelabs are checked.
 */
export const GPU_TYPES: Record<string, GpuType> = {
  'nvidia-l4': {
    label: 'NVIDIA L4',
    minCpu: 4,
    minMemoryGi: 16,
    maxCpu: 8,
    maxMemoryGi: 32,
    cpuChoices: [4, 6, 8],
    regions: ['asia-south1', 'asia-southeast1', 'europe-west1', 'europe-west4', 'us-central1', 'us-east4'],
  },
  'nvidia-rtx-pro-6000': {
    label: 'NVIDIA RTX PRO 6000 Blackwell',
    minCpu: 20,
    minMemoryGi: 80,
    regions: ['asia-southeast1', 'europe-west4', 'us-central1'],
  },
};

/** Concurrency Ollama's guide pairs with `OLLAMA_NUM_PARALLEL` (gcp-apis.md §2). */
export const DEFAULT_CONCURRENCY = 4;

/** Effective sizes of a GpuModel: declared values, else the GPU type's minimums. */
export function gpuSizing(spec: Partial<GpuModelSpec>): { cpu: number; memory: number; concurrency: number; parallelism?: number; maxInstances?: number } {
  const type = spec.gpu ? GPU_TYPES[spec.gpu.type] : undefined;
  const cpu = spec.resources?.cpu !== undefined ? parseCpu(spec.resources.cpu) : type?.minCpu ?? NaN;
  const memory = spec.resources?.memory !== undefined ? parseMemory(spec.resources.memory) : (type?.minMemoryGi ?? NaN) * GI;
  const runtimeParallel = spec.runtime === 'ollama' || spec.runtime === 'vllm';
  const concurrency = spec.concurrency ?? spec.parallelism ?? DEFAULT_CONCURRENCY;
  return {
    cpu,
    memory,
    concurrency,
    parallelism: runtimeParallel ? spec.parallelism ?? concurrency : undefined,
    maxInstances: spec.maxInstances ?? spec.gpu?.quota,
  };
}

const rule = (name: string, text: string) => `Cloud Run GPU rule "${name}": ${text}`;
const gi = (bytes: number) => formatMemory(bytes);

/** The region rule alone (also checked at plan time when the region comes from --region). */
export function regionProblem(gpuType: string, region: string): string | undefined {
  const t = GPU_TYPES[gpuType];
  if (!t || t.regions.includes(region)) return undefined;
  return rule('GPU regions', `${gpuType} GPUs are not offered in ${region}; allowed regions: ${t.regions.join(', ')}`);
}

/** Check a GpuModel manifest against the rules. Pure. */
export function checkGpuRules(m: Manifest): Diagnostic[] {
  const spec = m.spec ?? {};
  const out: Diagnostic[] = [];
  const add = (path: string, message: string) => out.push({ code: 'InvalidValue', path, message });
  const type = GPU_TYPES[spec.gpu?.type];
  if (!type) {
    add('spec.gpu.type', rule('supported GPU types', `"${spec.gpu?.type}" is not a Cloud Run GPU; allowed: ${Object.keys(GPU_TYPES).join(', ')}`));
    return out;
  }
  const t = spec.gpu.type as string;
  if ((spec.gpu.count ?? 1) !== 1) add('spec.gpu.count', rule('one GPU per instance', `Cloud Run attaches exactly 1 GPU to an instance (got ${spec.gpu.count}); allowed: 1`));
  if (spec.region) {
    const problem = regionProblem(t, spec.region);
    if (problem) add('spec.region', problem);
  }
  const size = gpuSizing(spec);
  const cpuPath = spec.resources?.cpu !== undefined ? 'spec.resources.cpu' : 'spec.resources';
  const memPath = spec.resources?.memory !== undefined ? 'spec.resources.memory' : 'spec.resources';
  const cpuAllowed = type.cpuChoices ? type.cpuChoices.join(', ') : `${type.minCpu} or more`;
  if (size.cpu < type.minCpu) add(cpuPath, rule('minimum CPU', `${t} needs at least ${type.minCpu} CPU per instance (got ${size.cpu}); allowed: ${cpuAllowed}`));
  else if (type.maxCpu !== undefined && size.cpu > type.maxCpu) add(cpuPath, rule('maximum CPU', `${t} instances have at most ${type.maxCpu} CPU (got ${size.cpu}); allowed: ${cpuAllowed}`));
  else if (type.cpuChoices && !type.cpuChoices.includes(size.cpu)) add(cpuPath, rule('CPU sizes', `${t} instances take ${cpuAllowed} CPU (got ${size.cpu})`));
  const memAllowed = type.maxMemoryGi !== undefined ? `${type.minMemoryGi}Gi to ${type.maxMemoryGi}Gi` : `${type.minMemoryGi}Gi or more`;
  if (size.memory < type.minMemoryGi * GI) add(memPath, rule('minimum memory', `${t} needs at least ${type.minMemoryGi}Gi of memory per instance (got ${gi(size.memory)}); allowed: ${memAllowed}`));
  else if (type.maxMemoryGi !== undefined && size.memory > type.maxMemoryGi * GI) add(memPath, rule('maximum memory', `${t} instances have at most ${type.maxMemoryGi}Gi of memory (got ${gi(size.memory)}); allowed: ${memAllowed}`));
  else if (type.cpuChoices && size.memory > size.cpu * 4 * GI && size.cpu >= type.minCpu) {
    add(memPath, rule('memory per CPU', `${size.cpu} CPU allow at most ${size.cpu * 4}Gi of memory (got ${gi(size.memory)}); allowed: ${type.minMemoryGi}Gi to ${Math.min(size.cpu * 4, type.maxMemoryGi ?? Infinity)}Gi, or more CPU`));
  }
  if (spec.cpuThrottling === true) {
    add('spec.cpuThrottling', rule('CPU always allocated', 'GPU instances need instance-based billing, so CPU cannot be throttled between requests; allowed: cpuThrottling: false (or leave it out)'));
  }
  if (spec.gpu.quota !== undefined && spec.maxInstances !== undefined && spec.maxInstances > spec.gpu.quota) {
    add('spec.maxInstances', rule('max instances within the GPU quota', `maxInstances ${spec.maxInstances} is above gpu.quota ${spec.gpu.quota} (the project's ${t} quota in the region); allowed: 1 to ${spec.gpu.quota}`));
  }
  if (size.maxInstances === undefined) {
    add('spec.maxInstances', rule('max instances within the GPU quota', `declare maxInstances or gpu.quota (the project's ${t} quota in the region; Cloud Run grants 3 without zonal redundancy on the first deploy); allowed: 1 to the quota`));
  }
  if (spec.parallelism !== undefined && size.parallelism === undefined) {
    add('spec.parallelism', rule('concurrency and runtime parallelism', `parallelism applies to the ollama and vllm runtimes (runtime is ${spec.runtime}); allowed: leave it out`));
  } else if (size.parallelism !== undefined && size.concurrency < size.parallelism) {
    const knob = spec.runtime === 'ollama' ? 'OLLAMA_NUM_PARALLEL' : '--max-num-seqs';
    add('spec.concurrency', rule('concurrency and runtime parallelism', `concurrency ${size.concurrency} is below the runtime's parallelism ${size.parallelism} (${knob}), which would leave request slots on the GPU idle; allowed: ${size.parallelism} or more`));
  }
  return out;
}
