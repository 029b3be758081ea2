/**
 * Request validation with the v2 API's wording (`Violation in <Request>.<field>: ...`).
 * Runs after defaults are filled, so it sees what the server would store.
 */
import { ingressIndex, LATEST, REVISION } from './defaults';
import { GiB, parseCpu, parseMemory } from './quantities';
import { violation, type Obj, type ServiceName } from './state';

/** Label/annotation key prefixes that v2 rejects (every v1 system annotation has a v2 field). */
export const RESERVED_PREFIXES = ['run.googleapis.com/', 'cloud.googleapis.com/', 'serving.knative.dev/', 'autoscaling.knative.dev/'];

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** service_id: lowercase, digits, hyphens; starts with a letter; no trailing hyphen; < 50 chars. */
export function validateServiceId(id: unknown, field: string): string {
  if (typeof id !== 'string' || !DNS_LABEL.test(id) || id.length >= 50) {
    throw violation(field, 'only lowercase, digits, and hyphens; must begin with letter, and cannot end with hyphen; must be less than 50 characters.');
  }
  return id;
}

function checkMetadata(map: Obj | undefined, field: string, what: 'labels' | 'annotations'): void {
  for (const key of Object.keys(map ?? {})) {
    if (RESERVED_PREFIXES.some((p) => key.startsWith(p))) {
      throw violation(`${field}[${key}]`, `system ${what} are not supported in Cloud Run API v2.`);
    }
  }
}

/** Accelerator → minimum vCPU and memory per instance (gcp-apis.md §2). */
const GPU_MINIMUMS: Record<string, { cpu: number; memoryGi: number }> = {
  'nvidia-l4': { cpu: 4, memoryGi: 16 },
  'nvidia-rtx-pro-6000': { cpu: 20, memoryGi: 80 },
};

/** Max memory per vCPU count without a GPU (cloud.google.com/run/docs/configuring/services/cpu). */
const MEMORY_BY_CPU: Array<{ cpu: number; minGi: number; maxGi: number }> = [
  { cpu: 1, minGi: 0, maxGi: 4 },
  { cpu: 2, minGi: 0, maxGi: 8 },
  { cpu: 4, minGi: 2, maxGi: 16 },
  { cpu: 6, minGi: 4, maxGi: 24 },
  { cpu: 8, minGi: 4, maxGi: 32 },
];

function checkContainer(c: Obj, f: string, gpu: boolean): void {
  if (!c.image) throw violation(`${f}.image`, 'required field not present.');
  if ((c.ports?.length ?? 0) > 1) throw violation(`${f}.ports`, 'ports should contain 0 or 1 port.');
  const port = c.ports?.[0];
  if (port && port.name && !['http1', 'h2c'].includes(port.name)) throw violation(`${f}.ports[0].name`, "must be 'http1' or 'h2c'.");
  if (port && (port.containerPort < 1 || port.containerPort > 65535)) throw violation(`${f}.ports[0].container_port`, 'must be between 1 and 65535.');
  const limits: Obj = c.resources?.limits ?? {};
  for (const key of Object.keys(limits)) {
    if (!['cpu', 'memory', 'nvidia.com/gpu'].includes(key)) throw violation(`${f}.resources.limits[${key}]`, 'only cpu, memory and nvidia.com/gpu may be set.');
  }
  if (limits['nvidia.com/gpu'] !== undefined && limits['nvidia.com/gpu'] !== '1') throw violation(`${f}.resources.limits[nvidia.com/gpu]`, "the only supported value is '1'.");
  const cpu = parseCpu(limits.cpu);
  const mem = parseMemory(limits.memory);
  if (!(cpu > 0)) throw violation(`${f}.resources.limits[cpu]`, `invalid cpu quantity '${limits.cpu}'.`);
  if (!(mem > 0)) throw violation(`${f}.resources.limits[memory]`, `invalid memory quantity '${limits.memory}'.`);
  if (gpu) return; // GPU instances have their own size rules (checked per template).
  if (cpu > 1 && !MEMORY_BY_CPU.some((r) => r.cpu === cpu)) {
    throw violation(`${f}.resources.limits[cpu]`, 'Invalid value specified for cpu. Must be 1, 2, 4, 6 or 8, or less than 1.');
  }
  const row = MEMORY_BY_CPU.find((r) => r.cpu >= cpu)!;
  const minBytes = row.minGi ? row.minGi * GiB : 128 * 2 ** 20;
  if (mem > row.maxGi * GiB || mem < minBytes) {
    throw violation(`${f}.resources.limits[memory]`, `Invalid value specified for memory. For ${cpu} CPU, memory must be between ${row.minGi ? `${row.minGi}Gi` : '128Mi'} and ${row.maxGi}Gi inclusive.`);
  }
}

function checkGpu(t: Obj, f: string, gpuQuota: number | undefined): void {
  const accelerator: string = t.nodeSelector.accelerator;
  const min = GPU_MINIMUMS[accelerator];
  if (!min) throw violation(`${f}.node_selector.accelerator`, `unsupported accelerator '${accelerator}'; supported: ${Object.keys(GPU_MINIMUMS).join(', ')}.`);
  const containers: Obj[] = t.containers;
  containers.forEach((c, i) => {
    if (c.resources?.cpuIdle) throw violation(`${f}.containers[${i}].resources.cpu_idle`, 'GPU requires instance-based billing; cpu_idle must be false.');
  });
  const cpu = containers.reduce((s, c) => s + parseCpu(c.resources?.limits?.cpu), 0);
  const mem = containers.reduce((s, c) => s + parseMemory(c.resources?.limits?.memory), 0);
  if (cpu < min.cpu || mem < min.memoryGi * GiB) {
    throw violation(`${f}.containers.resources.limits`, `${accelerator} requires at least ${min.cpu} CPU and ${min.memoryGi}Gi memory per instance.`);
  }
  if (t.executionEnvironment === 'EXECUTION_ENVIRONMENT_GEN1') throw violation(`${f}.execution_environment`, 'GPU requires the gen2 execution environment.');
  if (gpuQuota !== undefined && t.scaling.maxInstanceCount > gpuQuota) {
    throw violation(`${f}.scaling.max_instance_count`, `Max instances must be set to ${gpuQuota} or fewer in order to set GPU requirements.`);
  }
}

function checkTemplate(t: Obj, f: string, sn: ServiceName, gpuQuota: number | undefined): void {
  checkMetadata(t.labels, `${f}.labels`, 'labels');
  checkMetadata(t.annotations, `${f}.annotations`, 'annotations');
  if (t.revision && (!DNS_LABEL.test(t.revision) || t.revision.length > 63 || !t.revision.startsWith(`${sn.service}-`))) {
    throw violation(`${f}.revision`, `Revision name must be prefixed by the name of the enclosing Service with a trailing '-', use only lowercase letters, digits and '-', and be at most 63 characters.`);
  }
  const containers: Obj[] = t.containers ?? [];
  if (!containers.length) throw violation(`${f}.containers`, 'required field not present.');
  if (containers.filter((c) => c.ports?.length).length > 1) throw violation(`${f}.containers`, 'only one container (the ingress container) may specify a port.');
  const gpu = !!t.nodeSelector?.accelerator;
  containers.forEach((c, i) => checkContainer(c, `${f}.containers[${i}]`, gpu));
  const seconds = Number(t.timeout?.seconds ?? 0);
  if (seconds < 1 || seconds > 3600) throw violation(`${f}.timeout`, 'must be between 1s and 3600s.');
  const concurrency = t.maxInstanceRequestConcurrency;
  if (concurrency < 1 || concurrency > 1000) throw violation(`${f}.max_instance_request_concurrency`, 'must be between 1 and 1000.');
  if (parseCpu(containers[ingressIndex(containers)].resources?.limits?.cpu) < 1 && concurrency > 1) {
    throw violation(`${f}.max_instance_request_concurrency`, 'must be 1 when the container has less than 1 CPU.');
  }
  const { minInstanceCount = 0, maxInstanceCount = 0 } = t.scaling ?? {};
  if (minInstanceCount < 0 || maxInstanceCount < 0 || minInstanceCount > maxInstanceCount) {
    throw violation(`${f}.scaling`, 'min_instance_count must not exceed max_instance_count.');
  }
  if (gpu) checkGpu(t, f, gpuQuota);
}

function checkTraffic(traffic: Obj[], f: string): void {
  const tags = new Set<string>();
  let sum = 0;
  traffic.forEach((t, i) => {
    const percent = t.percent ?? 0;
    if (percent < 0 || percent > 100) throw violation(`${f}[${i}].percent`, 'must be between 0 and 100.');
    sum += percent;
    if (t.type === REVISION && !t.revision) throw violation(`${f}[${i}].revision`, 'required for TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION.');
    if (t.type === LATEST && t.revision) throw violation(`${f}[${i}].revision`, 'must be empty for TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST.');
    if (t.tag) {
      if (!DNS_LABEL.test(t.tag)) throw violation(`${f}[${i}].tag`, 'only lowercase, digits, and hyphens; must begin with letter, and cannot end with hyphen.');
      if (tags.has(t.tag)) throw violation(`${f}[${i}].tag`, `tag '${t.tag}' is used by more than one traffic target.`);
      tags.add(t.tag);
    }
  });
  if (sum !== 100) throw violation(f, `traffic percentages must add up to 100, got ${sum}.`);
}

/**
 * Validate a defaulted Service spec. `field` names the service in the request, e.g.
 * `CreateServiceRequest.service`.
 */
export function validateSpec(spec: Obj, field: string, sn: ServiceName, gpuQuota?: number): void {
  if ((spec.description ?? '').length > 512) throw violation(`${field}.description`, 'must be at most 512 characters.');
  checkMetadata(spec.labels, `${field}.labels`, 'labels');
  checkMetadata(spec.annotations, `${field}.annotations`, 'annotations');
  if (!spec.template) throw violation(`${field}.template`, 'required field not present.');
  checkTemplate(spec.template, `${field}.template`, sn, gpuQuota);
  checkTraffic(spec.traffic ?? [], `${field}.traffic`);
  const ba = spec.binaryAuthorization;
  if (ba?.breakglassJustification && !ba.useDefault && !ba.policy) {
    throw violation(`${field}.binary_authorization.breakglass_justification`, 'requires use_default or policy to be set.');
  }
  const { minInstanceCount = 0, maxInstanceCount } = spec.scaling ?? {};
  if (maxInstanceCount && minInstanceCount > maxInstanceCount) throw violation(`${field}.scaling`, 'min_instance_count must not exceed max_instance_count.');
}
