/**
 * Cloud Run's Knative-style YAML (what `gcloud run services describe --format export`
 * writes and `gcloud run services replace` reads: `apiVersion: serving.knative.dev/v1`,
 * `kind: Service`) as runctl manifests. Pure: text in, manifests and findings out.
 *
 * Every field is either carried into a runctl field, recognised as client or server
 * bookkeeping (listed as ignored), or reported with its file:line as not carried: nothing
 * is dropped in silence. The annotation table is `ANNOTATIONS` below (README: "Adopting
 * what already runs"), from Cloud Run's YAML reference
 * (https://cloud.google.com/run/docs/reference/yaml/v1).
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { makeLocator } from '../load/positions';
import { normalizeDuration } from '../util/duration';
import { API_VERSION, type FieldPath, type SourcePos } from '../util/types';

/** A runctl manifest as convert writes it. */
export interface ConvertedManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** One field convert did not carry into a manifest. */
export interface Finding {
  pos: SourcePos;
  /** Dotted path in the Knative document, e.g. `spec.template.spec.containers[1]`. */
  path: string;
  message: string;
  /** `not-carried`: a setting runctl cannot express; `ignored`: bookkeeping of a client or the server. */
  severity: 'not-carried' | 'ignored';
}

export interface Converted {
  manifests: ConvertedManifest[];
  findings: Finding[];
}

type Obj = Record<string, any>;
type Ctx = { report(path: FieldPath, message: string, severity?: Finding['severity']): void };

/** Annotations written by clients and the server for their own bookkeeping. */
const BOOKKEEPING = [/^client\.knative\.dev\//, /^serving\.knative\.dev\//, /^run\.googleapis\.com\/(client-name|client-version|operation-id|ingress-status|urls|creator|lastModifier|build-.*|source-location)$/];
const bookkeeping = (k: string) => BOOKKEEPING.some((r) => r.test(k));
/** Labels Cloud Run sets itself (the location is read as the region). */
const SERVER_LABELS = new Set(['cloud.googleapis.com/location', 'run.googleapis.com/satisfiesPzs', 'serving.knative.dev/configuration', 'serving.knative.dev/configurationGeneration', 'serving.knative.dev/route', 'serving.knative.dev/service', 'serving.knative.dev/serviceUid']);

const bool = (v: unknown) => String(v).toLowerCase() === 'true';
const int = (v: unknown) => (Number.isInteger(Number(v)) ? Number(v) : undefined);

/**
 * The annotations convert carries, by where they are read (`service`: the Service's
 * `metadata.annotations`; `template`: `spec.template.metadata.annotations`), with the
 * runctl field each sets. `apply` writes the value into the draft Service spec `s` (and
 * the GPU facts into `gpu`); a value it cannot use returns a reason.
 */
export const ANNOTATIONS: Record<string, { on: 'service' | 'template'; field: string; apply(v: string, s: Obj, gpu: Obj): string | void }> = {
  'run.googleapis.com/ingress': {
    on: 'service',
    field: 'spec.ingress',
    apply: (v, s) => {
      if (!['all', 'internal', 'internal-and-cloud-load-balancing', 'none'].includes(v)) return `unknown ingress "${v}"`;
      s.ingress = v;
    },
  },
  'run.googleapis.com/binary-authorization': { on: 'service', field: 'spec.binaryAuthorization', apply: (v, s) => void (s.binaryAuthorization = v === 'default' ? 'default' : v) },
  'run.googleapis.com/binary-authorization-breakglass': { on: 'service', field: 'spec.binaryAuthorization.breakglassJustification', apply: (v, s) => void (s.binaryAuthorization = { breakglassJustification: v }) },
  'run.googleapis.com/invoker-iam-disabled': { on: 'service', field: 'spec.invokerIamCheck', apply: (v, s) => void (bool(v) && (s.invokerIamCheck = false)) },
  'run.googleapis.com/launch-stage': { on: 'service', field: '(none: GA and BETA features need no opt-in from runctl)', apply: (v) => (['GA', 'BETA'].includes(v) ? undefined : `launch stage ${v}: runctl uses the GA surface`) },
  'autoscaling.knative.dev/minScale': { on: 'template', field: 'spec.scaling.minInstances', apply: (v, s) => void ((s.scaling ??= {}).minInstances = int(v)) },
  'autoscaling.knative.dev/maxScale': { on: 'template', field: 'spec.scaling.maxInstances', apply: (v, s) => void ((s.scaling ??= {}).maxInstances = int(v)) },
  'run.googleapis.com/cpu-throttling': { on: 'template', field: 'spec.cpuThrottling', apply: (v, s) => void (s.cpuThrottling = bool(v)) },
  'run.googleapis.com/startup-cpu-boost': { on: 'template', field: 'spec.startupCpuBoost', apply: (v, s) => void (s.startupCpuBoost = bool(v)) },
  'run.googleapis.com/execution-environment': {
    on: 'template',
    field: 'spec.executionEnvironment',
    apply: (v, s) => {
      if (v !== 'gen1' && v !== 'gen2') return `unknown execution environment "${v}"`;
      s.executionEnvironment = v;
    },
  },
  'run.googleapis.com/vpc-access-connector': { on: 'template', field: 'spec.vpc.connector', apply: (v, s) => void ((s.vpc ??= {}).connector = v) },
  'run.googleapis.com/vpc-access-egress': { on: 'template', field: 'spec.vpc.egress', apply: (v, s) => void ((s.vpc ??= {}).egress = v) },
  'run.googleapis.com/secrets': { on: 'template', field: 'spec.env (secret aliases resolved to projects/P/secrets/S)', apply: () => undefined },
  'run.googleapis.com/gpu-zonal-redundancy-disabled': { on: 'template', field: 'GpuModel spec.gpu.zonalRedundancy', apply: (v, _s, gpu) => void (gpu.zonalRedundancy = !bool(v)) },
};

/** Annotations Cloud Run documents that no runctl field expresses: reported with why. */
const NOT_CARRIED: Record<string, string> = {
  'run.googleapis.com/cloudsql-instances': 'Cloud SQL connections have no runctl field (keep them with gcloud: runctl leaves them as they are)',
  'run.googleapis.com/sessionAffinity': 'session affinity has no runctl field',
  'run.googleapis.com/network-interfaces': 'Direct VPC egress: convert writes connector-based vpc only',
  'run.googleapis.com/encryption-key': 'customer-managed encryption keys have no runctl field',
  'run.googleapis.com/encryption-key-shutdown-hours': 'customer-managed encryption keys have no runctl field',
  'run.googleapis.com/post-key-revocation-action-type': 'customer-managed encryption keys have no runctl field',
  'run.googleapis.com/container-dependencies': 'sidecar start order has no runctl field',
  'run.googleapis.com/health-check-disabled': 'disabling health checks has no runctl field',
  'run.googleapis.com/description': 'a service description has no runctl field',
  'run.googleapis.com/custom-audiences': 'custom audiences have no runctl field',
  'run.googleapis.com/default-url-disabled': 'disabling the run.app URL has no runctl field',
  'run.googleapis.com/minScale': 'service-level minimum instances has no runctl field (use the revision\'s autoscaling.knative.dev/minScale)',
  'run.googleapis.com/maxScale': 'service-level maximum instances has no runctl field (use the revision\'s autoscaling.knative.dev/maxScale)',
  'run.googleapis.com/scalingMode': 'manual scaling has no runctl field',
  'run.googleapis.com/manualInstanceCount': 'manual scaling has no runctl field',
  'run.googleapis.com/base-images': 'automatic base image updates have no runctl field',
  'run.googleapis.com/mesh': 'Cloud Service Mesh has no runctl field',
  'run.googleapis.com/iap-enabled': 'Identity-Aware Proxy has no runctl field',
};

/** Convert every Knative Service document of one file. */
export function convertKnative(text: string, file: string): Converted {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const out: Converted = { manifests: [], findings: [] };
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const pos = lines.linePos(doc.range[0]);
    const loc = makeLocator(doc as Document, lines, file, { file, line: pos.line, col: pos.col });
    const ctx: Ctx = {
      report: (path, message, severity = 'not-carried') => out.findings.push({ pos: loc.keyAt(path), path: dotted(path), message, severity }),
    };
    const k = doc.toJS() as Obj | null;
    if (!k) continue;
    if (k.kind !== 'Service' || !String(k.apiVersion ?? '').startsWith('serving.knative.dev/')) {
      ctx.report(['kind'], `not a Cloud Run Knative Service (apiVersion ${k.apiVersion}, kind ${k.kind}): not converted`);
      continue;
    }
    out.manifests.push(...convertService(k, ctx));
  }
  return out;
}

const dotted = (p: FieldPath) => p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

/** One Knative Service -> a Service (or a GpuModel) and the Volumes it mounts. */
function convertService(k: Obj, ctx: Ctx): ConvertedManifest[] {
  const meta: Obj = k.metadata ?? {};
  const spec: Obj = k.spec ?? {};
  const tmeta: Obj = spec.template?.metadata ?? {};
  const rs: Obj = spec.template?.spec ?? {};
  const s: Obj = {};
  const gpu: Obj = {};
  const out: ConvertedManifest[] = [];
  const labels: Record<string, string> = {};

  for (const [key, v] of Object.entries(meta.labels ?? {})) {
    if (key === 'cloud.googleapis.com/location') s.region = String(v);
    else if (SERVER_LABELS.has(key)) ctx.report(['metadata', 'labels', key], 'set by Cloud Run', 'ignored');
    else labels[key] = String(v);
  }
  if (meta.namespace !== undefined) ctx.report(['metadata', 'namespace'], 'the project: runctl takes it from --project (or spec.project)', 'ignored');
  for (const key of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink']) if (meta[key] !== undefined) ctx.report(['metadata', key], 'output only', 'ignored');
  if (k.status !== undefined) ctx.report(['status'], 'output only', 'ignored');
  annotations(meta.annotations, ['metadata', 'annotations'], 'service', s, gpu, ctx);
  for (const key of Object.keys(tmeta.labels ?? {})) ctx.report(['spec', 'template', 'metadata', 'labels', key], 'revision labels have no runctl field');
  const aliases = secretAliases(tmeta.annotations?.['run.googleapis.com/secrets']);
  annotations(tmeta.annotations, ['spec', 'template', 'metadata', 'annotations'], 'template', s, gpu, ctx);
  if (tmeta.name) s.revision = String(tmeta.name);

  const T = ['spec', 'template', 'spec'];
  if (rs.containerConcurrency !== undefined) (s.scaling ??= {}).concurrency = Number(rs.containerConcurrency);
  if (rs.timeoutSeconds !== undefined) s.timeout = normalizeDuration(`${rs.timeoutSeconds}s`);
  if (rs.serviceAccountName) s.serviceAccount = String(rs.serviceAccountName);
  for (const key of Object.keys(rs)) {
    if (!['containerConcurrency', 'timeoutSeconds', 'serviceAccountName', 'containers', 'volumes', 'nodeSelector', 'runtimeClassName'].includes(key)) ctx.report([...T, key], 'no runctl field');
  }
  const containers: Obj[] = rs.containers ?? [];
  containers.slice(1).forEach((c, i) => ctx.report([...T, 'containers', i + 1], `sidecar container "${c.name ?? ''}" (${c.image}): runctl's Service runs one container`));
  const c: Obj = containers[0] ?? {};
  const mounts = container(c, [...T, 'containers', 0], s, gpu, aliases, ctx);

  const volumes = new Map<string, Obj>(((rs.volumes ?? []) as Obj[]).map((v, i) => [String(v.name), { ...v, index: i }]));
  const mounted: Obj[] = [];
  mounts.forEach((m, i) => {
    const v = volumes.get(String(m.name));
    const at = [...T, 'containers', 0, 'volumeMounts', i];
    if (!v) return ctx.report(at, `mount of undeclared volume "${m.name}"`);
    const vol = volumeSpec(v, [...T, 'volumes', v.index], ctx);
    if (!vol) return;
    out.push({ apiVersion: API_VERSION, kind: 'Volume', metadata: { name: String(m.name) }, spec: vol.spec });
    mounted.push({ volume: String(m.name), mountPath: String(m.mountPath), ...(vol.readOnly || m.readOnly ? { readOnly: true } : {}) });
  });
  for (const [name, v] of volumes) if (!mounts.some((m) => String(m.name) === name)) ctx.report([...T, 'volumes', v.index], `volume "${name}" is not mounted by the first container`);
  if (mounted.length) s.volumes = mounted;

  if (spec.traffic) s.traffic = traffic(spec.traffic, ctx);
  vpc(s, meta.namespace, tmeta.annotations ?? {}, ctx);

  const accelerator = rs.nodeSelector?.['run.googleapis.com/accelerator'];
  for (const key of Object.keys(rs.nodeSelector ?? {})) if (key !== 'run.googleapis.com/accelerator') ctx.report([...T, 'nodeSelector', key], 'no runctl field');
  const name = String(meta.name ?? '');
  if (accelerator) {
    out.unshift({ apiVersion: API_VERSION, kind: 'GpuModel', metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) }, spec: gpuModel(s, String(accelerator), gpu, [...T, 'containers', 0], ctx) });
  } else {
    out.unshift({ apiVersion: API_VERSION, kind: 'Service', metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) }, spec: ordered(s) });
  }
  return out;
}

function annotations(map: Obj | undefined, at: FieldPath, on: 'service' | 'template', s: Obj, gpu: Obj, ctx: Ctx): void {
  for (const [key, raw] of Object.entries(map ?? {})) {
    const v = String(raw);
    const path = [...at, key];
    const known = ANNOTATIONS[key];
    if (known && known.on === on) {
      const problem = known.apply(v, s, gpu);
      if (problem) ctx.report(path, problem);
    } else if (bookkeeping(key)) ctx.report(path, 'client or server bookkeeping', 'ignored');
    else if (NOT_CARRIED[key]) ctx.report(path, NOT_CARRIED[key]);
    else if (known) ctx.report(path, `belongs on the ${known.on === 'service' ? "Service's metadata" : "revision template's metadata"}, where Cloud Run reads it`);
    else ctx.report(path, 'an annotation runctl does not carry');
  }
}

/** `run.googleapis.com/secrets: alias:projects/P/secrets/S,...` -> alias -> secret name. */
function secretAliases(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(v ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf(':');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

/** The first container into the draft spec; returns its volume mounts. */
function container(c: Obj, at: FieldPath, s: Obj, gpu: Obj, aliases: Map<string, string>, ctx: Ctx): Obj[] {
  for (const key of Object.keys(c)) {
    if (!['name', 'image', 'command', 'args', 'ports', 'env', 'resources', 'volumeMounts'].includes(key)) ctx.report([...at, key], key.endsWith('Probe') ? 'probes have no runctl field (Cloud Run keeps its default TCP startup probe)' : 'no runctl field');
  }
  if (c.image) s.image = String(c.image);
  if (c.command?.length) s.command = c.command.map(String);
  if (c.args?.length) s.args = c.args.map(String);
  const port = c.ports?.[0];
  if (port?.containerPort !== undefined) s.port = Number(port.containerPort);
  if (port?.name && port.name !== 'http1') ctx.report([...at, 'ports', 0, 'name'], `port name ${port.name} (end-to-end HTTP/2) has no runctl field`);
  (c.ports ?? []).slice(1).forEach((_: unknown, i: number) => ctx.report([...at, 'ports', i + 1], 'Cloud Run serves one port'));
  const env: Obj = {};
  ((c.env ?? []) as Obj[]).forEach((e, i) => {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const secret = aliases.get(String(ref.name)) ?? String(ref.name);
      env[e.name] = { secret, ...(ref.key && ref.key !== 'latest' ? { version: String(ref.key) } : {}) };
    } else if (e.valueFrom) ctx.report([...at, 'env', i, 'valueFrom'], 'only secretKeyRef is supported by Cloud Run');
    else env[e.name] = String(e.value ?? '');
  });
  if (Object.keys(env).length) s.env = env;
  const limits: Obj = c.resources?.limits ?? {};
  const resources: Obj = {};
  for (const [key, v] of Object.entries(limits)) {
    if (key === 'cpu' || key === 'memory') resources[key] = String(v);
    else if (key === 'nvidia.com/gpu') gpu.count = Number(v);
    else ctx.report([...at, 'resources', 'limits', key], 'no runctl field');
  }
  if (Object.keys(resources).length) s.resources = resources;
  if (c.resources?.requests) ctx.report([...at, 'resources', 'requests'], 'Cloud Run ignores requests; limits are carried');
  return c.volumeMounts ?? [];
}

/** A Knative volume as a Volume spec, or undefined (reported) when runctl has no such Volume. */
function volumeSpec(v: Obj, at: FieldPath, ctx: Ctx): { spec: Obj; readOnly?: boolean } | undefined {
  if (v.csi) {
    if (v.csi.driver !== 'gcsfuse.run.googleapis.com') return void ctx.report([...at, 'csi', 'driver'], `CSI driver ${v.csi.driver}: only Cloud Storage (gcsfuse.run.googleapis.com) is a Volume`);
    const attrs: Obj = v.csi.volumeAttributes ?? {};
    const mountOptions = String(attrs.mountOptions ?? '').split(',').map((o) => o.trim()).filter(Boolean);
    return { spec: { gcs: { bucket: String(attrs.bucketName), ...(mountOptions.length ? { mountOptions } : {}) } }, readOnly: bool(v.csi.readOnly) };
  }
  if (v.nfs) return { spec: { nfs: { server: String(v.nfs.server), path: String(v.nfs.path) } }, readOnly: !!v.nfs.readOnly };
  if (v.emptyDir) {
    if (v.emptyDir.medium !== 'Memory') return void ctx.report([...at, 'emptyDir'], 'an emptyDir that is not in memory has no runctl Volume');
    return { spec: { memory: v.emptyDir.sizeLimit ? { sizeLimit: String(v.emptyDir.sizeLimit) } : {} } };
  }
  if (v.secret) return void ctx.report([...at, 'secret'], `secret ${v.secret.secretName} mounted as files: runctl carries secrets as env only`);
  return void ctx.report(at, 'a volume type runctl has no Volume for');
}

function traffic(list: Obj[], ctx: Ctx): Obj[] {
  return list.map((t, i) => {
    if (t.configurationName) ctx.report(['spec', 'traffic', i, 'configurationName'], 'Cloud Run routes to the service\'s own configuration', 'ignored');
    if (t.url) ctx.report(['spec', 'traffic', i, 'url'], 'output only', 'ignored');
    return { ...(t.tag ? { tag: String(t.tag) } : {}), ...(t.latestRevision ? { latest: true } : { revision: String(t.revisionName) }), percent: Number(t.percent ?? 0) };
  });
}

/**
 * A connector named by its short name is spelled out as runctl's schema wants
 * (`projects/P/locations/R/connectors/C`) when the project ID and region are known; an
 * egress setting without a connector is Direct VPC egress, which convert does not write.
 */
function vpc(s: Obj, namespace: unknown, ann: Obj, ctx: Ctx): void {
  if (!s.vpc) return;
  const at = ['spec', 'template', 'metadata', 'annotations'];
  if (!s.vpc.connector) {
    delete s.vpc;
    ctx.report([...at, 'run.googleapis.com/vpc-access-egress'], 'egress without a connector is Direct VPC egress (run.googleapis.com/network-interfaces), which convert does not write');
    return;
  }
  const c = String(s.vpc.connector);
  if (c.startsWith('projects/')) return;
  const project = typeof namespace === 'string' && !/^\d+$/.test(namespace) ? namespace : undefined;
  if (project && s.region) s.vpc.connector = `projects/${project}/locations/${s.region}/connectors/${c}`;
  else {
    ctx.report([...at, 'run.googleapis.com/vpc-access-connector'], `connector "${c}" by its short name, and the project ID or region is not in the file: write spec.vpc.connector as projects/PROJECT/locations/REGION/connectors/${c}`);
    delete s.vpc;
  }
  void ann;
}

/** A GPU service as a GpuModel (runtime custom: the image serves on PORT by itself). */
function gpuModel(s: Obj, accelerator: string, gpu: Obj, at: FieldPath, ctx: Ctx): Obj {
  const out: Obj = { ...(s.region ? { region: s.region } : {}), image: s.image, runtime: 'custom', gpu: { type: accelerator, ...(gpu.count !== undefined && gpu.count !== 1 ? { count: gpu.count } : {}), ...(gpu.zonalRedundancy !== undefined ? { zonalRedundancy: gpu.zonalRedundancy } : {}) } };
  if (s.resources) out.resources = s.resources;
  if (s.scaling?.concurrency !== undefined) out.concurrency = s.scaling.concurrency;
  if (s.scaling?.maxInstances !== undefined) out.maxInstances = s.scaling.maxInstances;
  if (s.timeout) out.timeout = s.timeout;
  const carried = new Set(['region', 'image', 'resources', 'scaling', 'timeout', 'cpuThrottling', 'executionEnvironment']);
  for (const key of Object.keys(s)) if (!carried.has(key)) ctx.report([...at], `a GPU service converts to a GpuModel (runtime custom), which has no ${key}`);
  if (s.scaling?.minInstances) ctx.report([...at], 'a GpuModel has no minInstances');
  return out;
}

/** Spec keys in the order people write them. */
function ordered(s: Obj): Obj {
  const order = ['region', 'image', 'revision', 'command', 'args', 'port', 'env', 'resources', 'scaling', 'timeout', 'cpuThrottling', 'startupCpuBoost', 'executionEnvironment', 'serviceAccount', 'ingress', 'invokerIamCheck', 'vpc', 'binaryAuthorization', 'volumes', 'traffic'];
  const out: Obj = {};
  for (const k of order) if (s[k] !== undefined) out[k] = s[k];
  for (const k of Object.keys(s)) if (!(k in out)) out[k] = s[k];
  return out;
}
