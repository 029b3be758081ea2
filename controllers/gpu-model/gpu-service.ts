/**
 * A GpuModel as a Cloud Run service: the manifest form runctl compares (desired and
 * live normalised alike) and the writes onto the Admin API v2 Service object. Built on
 * the Service field table in `run-service.ts`, plus the GPU fields it does not cover
 * (node selector, `nvidia.com/gpu` limit, zonal redundancy).
 */
import { DEFAULT_CONCURRENCY, GPU_TYPES, gpuSizing } from './gpu-rules';
import type { GpuModelSpec, ServiceSpec } from '../generated/manifests';
import { formatMemory } from '../shared/quantity';
import { container, FIELD_BY_NAME, normalizeSpec, readSpec, template, type IamView, type RunService, type WriteContext } from '../shared/cloud-run/run-service';

/** Label that tells a GpuModel's Cloud Run service from a plain Service's. */
export const KIND_LABEL = 'runctl-kind';
export const KIND_LABEL_VALUE = 'gpumodel';

/** Cloud Run port the runtimes are told to listen on. */
export const MODEL_PORT = 8080;

/** Fields written through the Service field table, in write order (cpuThrottling after resources). */
const TABLE_FIELDS: (keyof ServiceSpec)[] = ['image', 'port', 'env', 'args', 'resources', 'scaling', 'timeout', 'cpuThrottling', 'executionEnvironment'];

/** The environment (and arguments) a runtime needs to serve `model` on the GPU. */
export function runtimeSettings(spec: GpuModelSpec): { env: Record<string, string>; args?: string[] } {
  const size = gpuSizing(spec);
  if (spec.runtime === 'ollama') {
    // As Google's Ollama-on-Cloud-Run guide: listen on 8080, never unload the weights.
    return {
      env: { OLLAMA_HOST: `0.0.0.0:${MODEL_PORT}`, OLLAMA_KEEP_ALIVE: '-1', OLLAMA_NUM_PARALLEL: String(size.parallelism), MODEL: String(spec.model) },
    };
  }
  if (spec.runtime === 'vllm') {
    return {
      env: { MODEL: String(spec.model) },
      args: ['--model', String(spec.model), '--port', String(MODEL_PORT), '--max-num-seqs', String(size.parallelism)],
    };
  }
  return { env: {} };
}

/** The GpuModel as a Service-kind spec (before normalisation). */
function serviceSpec(spec: GpuModelSpec, invokers: string[]): ServiceSpec {
  const size = gpuSizing(spec);
  const rt = runtimeSettings(spec);
  return {
    image: spec.image,
    port: MODEL_PORT,
    env: rt.env,
    args: rt.args,
    resources: { cpu: size.cpu, memory: formatMemory(size.memory) },
    scaling: { maxInstances: size.maxInstances, concurrency: size.concurrency },
    timeout: spec.timeout,
    cpuThrottling: false,
    executionEnvironment: 'gen2',
    public: false,
    invokers,
  };
}

/** The GPU block of the compared form. */
export interface GpuBlock {
  type?: string;
  count?: number;
  zonalRedundancy?: boolean;
}

/** The compared form of a GpuModel: Service-table fields in GpuModel terms, plus `gpu`. */
export type GpuForm = Record<string, unknown> & { gpu?: GpuBlock };

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
/** A normalised sub-object of a form (objects or absent there), else undefined. */
const recordOf = (v: unknown): Record<string, unknown> | undefined => (isRecord(v) ? v : undefined);

/** The compared form: Service-table fields in GpuModel terms, plus `gpu`. */
function toForm(s: Record<string, unknown>, gpu: GpuBlock | undefined): GpuForm {
  const out: GpuForm = {
    image: s.image,
    gpu,
    resources: s.resources,
    concurrency: recordOf(s.scaling)?.concurrency,
    maxInstances: recordOf(s.scaling)?.maxInstances,
    timeout: s.timeout,
    port: s.port,
    env: s.env ?? {},
    args: s.args,
    cpuThrottling: s.cpuThrottling,
    executionEnvironment: s.executionEnvironment,
    public: s.public,
    invokers: s.invokers,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Desired form of a GpuModel (invoker members already resolved). */
export function desiredForm(spec: GpuModelSpec, invokers: string[], wctx: WriteContext): GpuForm {
  return toForm(normalizeSpec(serviceSpec(spec, invokers), wctx), {
    type: spec.gpu.type,
    count: spec.gpu.count ?? 1,
    zonalRedundancy: spec.gpu.zonalRedundancy ?? true,
  });
}

/** Live service (and invoker IAM) → the same form, plus `runtime`/`model` for `get`. */
export function liveForm(svc: RunService, iam?: IamView): GpuForm {
  const s = readSpec(svc, iam);
  const t = svc.template ?? {};
  const limits = t.containers?.[0]?.resources?.limits ?? {};
  const form = toForm(s, {
    type: t.nodeSelector?.accelerator || undefined,
    count: Number(limits['nvidia.com/gpu'] ?? 0),
    zonalRedundancy: !t.gpuZonalRedundancyDisabled,
  });
  // Unspecified (gcloud and the console send none): Cloud Run selects the environment by
  // the features used, and a GPU runs only in the second generation; runctl writes gen2.
  if (form.executionEnvironment === undefined) form.executionEnvironment = 'gen2';
  const env = recordOf(s.env) ?? {};
  form.runtime = env.OLLAMA_HOST !== undefined ? 'ollama' : env.MODEL !== undefined ? 'vllm' : 'custom';
  if (env.MODEL !== undefined) form.model = env.MODEL;
  form.region = svc.name?.split('/')[3];
  return form;
}

/**
 * The listed form (`liveForm`) as a GpuModel manifest declares it, for `get -o yaml`:
 * what runctl derives from the manifest (port, runtime environment, CPU allocation,
 * execution environment) and the defaults (one GPU, concurrency 4, the GPU's minimum
 * CPU and memory) are left out; a parallelism other than the concurrency is kept.
 */
export function manifestForm(form: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { region: form.region, image: form.image, runtime: form.runtime };
  if (form.model !== undefined) out.model = form.model;
  const gpu = recordOf(form.gpu);
  const type = typeof gpu?.type === 'string' ? GPU_TYPES[gpu.type] : undefined;
  out.gpu = { type: gpu?.type, ...(gpu?.count && gpu.count !== 1 ? { count: gpu.count } : {}), zonalRedundancy: gpu?.zonalRedundancy };
  const r = recordOf(form.resources) ?? {};
  if (!type || Number(r.cpu) !== type.minCpu || r.memory !== formatMemory(type.minMemoryGi * 1024 ** 3)) out.resources = r;
  if (form.concurrency !== undefined && form.concurrency !== DEFAULT_CONCURRENCY) out.concurrency = form.concurrency;
  const env = recordOf(form.env) ?? {};
  const args: unknown[] = Array.isArray(form.args) ? form.args : [];
  const seqs = args.indexOf('--max-num-seqs');
  const parallel = env.OLLAMA_NUM_PARALLEL ?? (seqs >= 0 ? args[seqs + 1] : undefined);
  if (parallel !== undefined && Number(parallel) !== (form.concurrency ?? DEFAULT_CONCURRENCY)) out.parallelism = Number(parallel);
  if (form.maxInstances !== undefined) out.maxInstances = form.maxInstances;
  if (form.timeout !== undefined && form.timeout !== '300s') out.timeout = form.timeout;
  return out;
}

/** Write every GpuModel setting onto a Service object (create body or writable copy). */
export function writeGpuService(svc: RunService, spec: GpuModelSpec, wctx: WriteContext): void {
  const s = serviceSpec(spec, []);
  for (const name of TABLE_FIELDS) {
    const value = s[name];
    if (value === undefined) continue;
    FIELD_BY_NAME.get(name)!.write(svc, value, wctx);
  }
  const t = template(svc);
  t.nodeSelector = { accelerator: spec.gpu.type };
  t.gpuZonalRedundancyDisabled = !(spec.gpu.zonalRedundancy ?? true);
  // The table's resources writer has set both (every GpuModel declares resources).
  const r = (container(svc).resources ??= {});
  (r.limits ??= {})['nvidia.com/gpu'] = String(spec.gpu.count ?? 1);
  // Instance-based billing is required with a GPU; the table's resources writer defaults cpuIdle to true.
  r.cpuIdle = false;
}

/** Whether a live Cloud Run service is a GpuModel's. */
export function isGpuService(svc: RunService): boolean {
  return svc.labels?.[KIND_LABEL] === KIND_LABEL_VALUE || (!!svc.template?.nodeSelector?.accelerator && !!GPU_TYPES[svc.template.nodeSelector.accelerator]);
}
