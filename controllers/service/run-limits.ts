/**
 * Cloud Run's per-instance CPU and memory for services without a GPU, checked before
 * the first API call so a mistake fails in `validate` with file:line instead of at the API.
 * Sources: cloud.google.com/run/quotas (memory at most 32 GiB, at most 8 vCPU per
 * instance) and the CPU/memory table of cloud.google.com/run/docs/configuring/services/cpu
 * (gcp-apis.md §1.8): below 1 vCPU from 0.08 with at most 512 MiB; otherwise 1, 2, 4, 6
 * or 8 vCPU with at most 4 GiB per vCPU (4 vCPU need at least 2 GiB, 6 and 8 at least
 * 4 GiB). GpuModel sizes follow the GPU rules instead (gpu-rules.ts).
 */
import type { Diagnostic } from '../../src/engine/types';
import { formatMemory, parseCpu, parseMemory } from '../shared/quantity';

const MI = 2 ** 20;
const GI = 2 ** 30;

export const RUN_LIMITS = {
  maxCpu: 8,
  minCpu: 0.08,
  /** Whole vCPU counts; anything from minCpu below 1 is allowed too. */
  cpuChoices: [1, 2, 4, 6, 8],
  maxMemory: 32 * GI,
  /** Most memory with less than one vCPU. */
  maxMemoryFractionalCpu: 512 * MI,
  memoryPerCpu: 4 * GI,
  /** Least memory for the larger sizes. */
  minMemoryFor: { 4: 2 * GI, 6: 4 * GI, 8: 4 * GI } as Record<number, number>,
  /** Cloud Run's defaults when a field is left out. */
  defaultCpu: 1,
  defaultMemory: 512 * MI,
};

const cpuText = (n: number) => String(Math.round(n * 1000) / 1000);

/** Problems of `spec.resources` of a Service; [] when it fits Cloud Run. Pure. */
export function resourceProblems(resources: { cpu?: unknown; memory?: unknown } | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (field: 'cpu' | 'memory', message: string) => out.push({ code: 'InvalidValue', path: `spec.resources.${field}`, message });
  const cpu = resources?.cpu !== undefined ? parseCpu(resources.cpu) : RUN_LIMITS.defaultCpu;
  const memory = resources?.memory !== undefined ? parseMemory(resources.memory) : RUN_LIMITS.defaultMemory;
  // Malformed values are the schema's to report.
  if (!Number.isFinite(cpu) || !Number.isFinite(memory)) return out;
  const cpuAllowed = `${RUN_LIMITS.minCpu} to 1, or ${RUN_LIMITS.cpuChoices.join(', ')}`;
  let cpuOk = false;
  if (cpu > RUN_LIMITS.maxCpu) add('cpu', `Cloud Run instances have at most ${RUN_LIMITS.maxCpu} vCPU (got ${cpuText(cpu)}); allowed: ${cpuAllowed} (more only with a GPU: kind GpuModel)`);
  else if (cpu < RUN_LIMITS.minCpu) add('cpu', `Cloud Run instances have at least ${RUN_LIMITS.minCpu} vCPU (got ${cpuText(cpu)}); allowed: ${cpuAllowed}`);
  else if (cpu > 1 && !RUN_LIMITS.cpuChoices.includes(cpu)) add('cpu', `Cloud Run takes ${RUN_LIMITS.cpuChoices.join(', ')} vCPU above 1 (got ${cpuText(cpu)}); allowed: ${cpuAllowed}`);
  else cpuOk = true;
  if (memory > RUN_LIMITS.maxMemory) {
    add('memory', `Cloud Run instances have at most ${formatMemory(RUN_LIMITS.maxMemory)} of memory (got ${describeMemory(resources?.memory, memory)}); allowed: up to ${formatMemory(RUN_LIMITS.maxMemory)}, with at most 4Gi per vCPU`);
    return out;
  }
  if (!cpuOk) return out;
  const max = cpu < 1 ? RUN_LIMITS.maxMemoryFractionalCpu : cpu * RUN_LIMITS.memoryPerCpu;
  const min = RUN_LIMITS.minMemoryFor[cpu] ?? 0;
  const field = resources?.memory !== undefined ? 'memory' : 'cpu';
  const defaulted = resources?.memory === undefined ? ' (the default)' : resources?.cpu === undefined ? ` with the default ${RUN_LIMITS.defaultCpu} vCPU` : '';
  if (memory > max) add(field, `with ${cpuText(cpu)} vCPU, memory is at most ${formatMemory(max)} (got ${formatMemory(memory)}${defaulted}); raise spec.resources.cpu or lower spec.resources.memory`);
  else if (memory < min) add(field, `with ${cpuText(cpu)} vCPU, memory is at least ${formatMemory(min)} (got ${formatMemory(memory)}${defaulted}); raise spec.resources.memory or lower spec.resources.cpu`);
  return out;
}

/** Memory for a message: the text as written when it is absurdly large. */
function describeMemory(text: unknown, bytes: number): string {
  return bytes > 1024 * 1024 * GI ? String(text) : formatMemory(bytes);
}
