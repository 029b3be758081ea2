/**
 * Translation between runctl's Service fields and the Cloud Run Admin API v2 Service
 * object, declared as data: one entry per manifest field, with how to read it from the
 * live object (normalised), how to normalise a desired value, how to write it, and
 * whether changing it creates a new revision. Shared by the Service and GpuModel
 * controllers (a library, not a controller).
 */
import type { protos } from '@google-cloud/run';
import type { ServiceSpec, VolumeSpec } from '../../generated/manifests';
import { clientStamp, writtenByRunctl } from '../../../src/engine/ownership';
import { normalizeCpu, normalizeMemory } from '../quantity';
import { normalizeDuration, toProtoDuration } from '../../../src/util/duration';

/** A Cloud Run v2 Service as the client reads and writes it. */
export type RunService = protos.google.cloud.run.v2.IService;
type RevisionTemplate = protos.google.cloud.run.v2.IRevisionTemplate;
type Container = protos.google.cloud.run.v2.IContainer;
type Volume = protos.google.cloud.run.v2.IVolume;
type TrafficTargetApi = protos.google.cloud.run.v2.ITrafficTarget;
type ExecutionEnvironmentName = keyof typeof protos.google.cloud.run.v2.ExecutionEnvironment;
type IngressName = keyof typeof protos.google.cloud.run.v2.IngressTraffic;
type EgressName = keyof typeof protos.google.cloud.run.v2.VpcAccess.VpcEgress;

/** Where a field lives: the revision template (new revision), the service, or IAM. */
export type FieldScope = 'template' | 'service' | 'iam';

/**
 * One manifest field `K` of a Service spec. Values reach the table only after schema
 * validation, so the value at `spec[K]` has the generated type `ServiceSpec[K]`.
 */
export interface FieldSpec<K extends keyof ServiceSpec = keyof ServiceSpec> {
  /** Manifest field name under `spec`. */
  name: K;
  scope: FieldScope;
  /** Live object → manifest form (normalised), undefined when unset. */
  read(svc: RunService, iam?: IamView): unknown;
  /** Desired manifest value → normalised manifest form. */
  normalize(v: ServiceSpec[K], ctx: WriteContext): unknown;
  /** Write the desired manifest value onto an API object. */
  write(svc: RunService, v: ServiceSpec[K], ctx: WriteContext): void;
}

/** A table entry typed by its field (the table holds them as `FieldSpec`). */
const field = <K extends keyof ServiceSpec>(f: FieldSpec<K>): FieldSpec => f;

/** IAM facts in manifest terms. */
export interface IamView {
  public: boolean;
  invokers: string[];
}

/** What writes need beyond the value: the service name and other manifests' specs. */
export interface WriteContext {
  serviceName: string;
  /** Spec of a Volume manifest by name (for volume mounts). */
  volume(name: string): VolumeSpec | undefined;
  /**
   * A connector's full name: `VpcConnector/NAME` (a connector of the set) resolved to
   * `projects/P/locations/R/connectors/NAME`; a full name as it is (absent: as written).
   */
  connector?(ref: string): string;
  /** The service's project: a secret named `projects/THIS/secrets/S` is the secret `S`. */
  project?: string;
}

const INGRESS: Record<string, IngressName> = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  none: 'INGRESS_TRAFFIC_NONE',
};
const EGRESS: Record<string, EgressName> = { 'all-traffic': 'ALL_TRAFFIC', 'private-ranges-only': 'PRIVATE_RANGES_ONLY' };
const EXEC_ENV: Record<string, ExecutionEnvironmentName> = { gen1: 'EXECUTION_ENVIRONMENT_GEN1', gen2: 'EXECUTION_ENVIRONMENT_GEN2' };

const invert = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));
const INGRESS_R = invert(INGRESS);
const EGRESS_R = invert(EGRESS);
const EXEC_ENV_R = invert(EXEC_ENV);

/** `map[key]`, undefined for an undefined key (as indexing with it was). */
const lookup = <V>(map: Record<string, V>, key: string | undefined): V | undefined => (key === undefined ? undefined : map[key]);

/** Enum values may arrive as names or (from protobuf messages) numbers; we only use names. */
const enumName = (v: unknown): string | undefined => (typeof v === 'string' && v && !v.endsWith('_UNSPECIFIED') ? v : undefined);

export function template(svc: RunService): RevisionTemplate {
  svc.template ??= {};
  return svc.template;
}

export function container(svc: RunService): Container {
  const t = template(svc);
  t.containers ??= [{}];
  if (!t.containers.length) t.containers.push({});
  return t.containers[0];
}

/** A map entry set to `value`, or removed when it is undefined (unset either way). */
function setOrDelete(map: Record<string, string>, key: string, value: string | undefined): void {
  if (value === undefined) delete map[key];
  else map[key] = value;
}

const c0 = (svc: RunService): Container | undefined => svc.template?.containers?.[0];
const nonEmpty = <T>(a: T[] | null | undefined): T[] | undefined => (a && a.length ? a : undefined);
const clean = (o: Record<string, unknown>) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
};
const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** An environment value as declared or read: plain, or a Secret Manager reference. */
type EnvInput = string | number | boolean | null | undefined | { secret?: string | null; version?: string | number | null };
type EnvValue = string | { secret: string | null | undefined; version: string };

/**
 * A Secret Manager reference in the service's own project, by its short name: Cloud Run
 * takes `S` and `projects/P/secrets/S` alike for a secret of the service's project, so
 * the two compare equal. Another project's path (or a project number) stays as it is.
 */
export function secretInProject(secret: string | null | undefined, project: string | undefined): string | null | undefined {
  const m = typeof secret === 'string' ? /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secret) : null;
  return m && project && m[1] === project ? m[2] : secret;
}

function normalizeEnv(env: Record<string, EnvInput> | undefined, project?: string): Record<string, EnvValue> | undefined {
  if (!env) return undefined;
  const out: Record<string, EnvValue> = {};
  for (const k of Object.keys(env).sort()) {
    const v = env[k];
    if (v && typeof v === 'object') {
      out[k] = { secret: secretInProject(v.secret, project), version: String(v.version ?? 'latest') };
    } else out[k] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}

/** A traffic target in manifest terms, as read or declared (before normalising). */
interface TrafficForm {
  tag?: string | null;
  revision?: string | null;
  latest?: boolean;
  percent?: number;
}

/** A normalised traffic target (manifest form). */
export interface NormalTraffic {
  tag?: string;
  revision?: string;
  latest?: true;
  percent: number;
}

function normalizeTraffic(list: TrafficForm[] | undefined, serviceName: string): NormalTraffic[] | undefined {
  if (!list) return undefined;
  return list
    .map(
      (t): NormalTraffic => ({
        ...(t.tag ? { tag: t.tag } : {}),
        ...(!t.latest && t.revision ? { revision: fullRevision(serviceName, t.revision) } : {}),
        ...(t.latest ? { latest: true as const } : {}),
        percent: Number(t.percent ?? 0),
      }),
    )
    .sort((a, b) => `${a.tag ?? ''}/${a.revision ?? ''}`.localeCompare(`${b.tag ?? ''}/${b.revision ?? ''}`));
}

/** Revision names are `{service}-{suffix}`; accept the suffix alone in manifests. */
export function fullRevision(service: string, rev: string): string {
  return rev.startsWith(`${service}-`) ? rev : `${service}-${rev}`;
}

/** A normalised volume mount (manifest form), with what backs it (`source`). */
export interface NormalVolume {
  volume: string;
  mountPath: string;
  readOnly: boolean;
  source?: string;
}

interface MountForm {
  volume: string;
  mountPath: string;
  readOnly?: boolean;
  source?: string;
}

function normalizeVolumes(vols: MountForm[] | undefined): NormalVolume[] | undefined {
  if (!vols) return undefined;
  return vols
    .map((v) => ({ volume: v.volume, mountPath: v.mountPath, readOnly: !!v.readOnly, ...(v.source ? { source: v.source } : {}) }))
    .sort((a, b) => a.mountPath.localeCompare(b.mountPath));
}

/** What backs a mount: a Cloud Run volume or a Volume manifest's spec. */
interface VolumeBacking {
  gcs?: { bucket?: string | null; mountOptions?: string[] | null } | null;
  nfs?: { server?: string | null; path?: string | null } | null;
  emptyDir?: { sizeLimit?: string | null } | null;
  memory?: { sizeLimit?: string } | null;
}

/**
 * What a mount is backed by, from a Cloud Run volume or a Volume manifest's spec, so a
 * Volume whose bucket, share or size changes makes a new revision of the Services that
 * mount it. Undefined when the Volume manifest is not at hand (then it is not compared).
 */
function volumeSource(v: VolumeBacking | undefined): string | undefined {
  if (v?.gcs) return `gcs:${v.gcs.bucket}${v.gcs.mountOptions?.length ? `?${v.gcs.mountOptions.join(',')}` : ''}`;
  if (v?.nfs) return `nfs:${v.nfs.server}:${v.nfs.path}`;
  if (v?.emptyDir || v?.memory) return `memory:${normalizeMemory((v.emptyDir ?? v.memory)?.sizeLimit) ?? 'default'}`;
  return undefined;
}

/**
 * A Cloud Run volume that no Volume kind expresses (a secret mounted as files, Cloud SQL
 * connections): not part of `spec.volumes`, and kept as it is when runctl writes mounts.
 */
function foreign(v: Volume | undefined): boolean {
  return !!v && !!(v.secret || v.cloudSqlInstance);
}

export const SERVICE_FIELDS: FieldSpec[] = [
  field({
    name: 'image',
    scope: 'template',
    read: (s) => c0(s)?.image || undefined,
    normalize: (v) => v,
    write: (s, v) => (container(s).image = v),
  }),
  field({
    name: 'command',
    scope: 'template',
    read: (s) => nonEmpty(c0(s)?.command),
    normalize: (v) => nonEmpty(v),
    write: (s, v) => (container(s).command = v ?? []),
  }),
  field({
    name: 'args',
    scope: 'template',
    read: (s) => nonEmpty(c0(s)?.args),
    normalize: (v) => nonEmpty(v),
    write: (s, v) => (container(s).args = v ?? []),
  }),
  field({
    name: 'port',
    scope: 'template',
    read: (s) => num(c0(s)?.ports?.[0]?.containerPort),
    normalize: (v) => num(v),
    write: (s, v) => {
      const c = container(s);
      const name = c.ports?.[0]?.name || 'http1';
      c.ports = [{ name, containerPort: Number(v) }];
    },
  }),
  field({
    name: 'env',
    scope: 'template',
    read: (s) => {
      const env = c0(s)?.env;
      if (!env?.length) return {};
      const out: Record<string, EnvInput> = {};
      for (const e of env) {
        const ref = e.valueSource?.secretKeyRef;
        out[String(e.name)] = ref ? { secret: ref.secret, version: ref.version || 'latest' } : e.value ?? '';
      }
      return normalizeEnv(out, s.name?.split('/')[1]);
    },
    normalize: (v, ctx) => normalizeEnv(v, ctx.project),
    write: (s, v, ctx) => {
      const env = normalizeEnv(v, ctx.project) ?? {};
      container(s).env = Object.entries(env).map(([name, val]) =>
        typeof val === 'string' ? { name, value: val } : { name, valueSource: { secretKeyRef: { secret: val.secret, version: val.version } } },
      );
    },
  }),
  field({
    name: 'resources',
    scope: 'template',
    read: (s) => {
      const limits = c0(s)?.resources?.limits ?? {};
      return clean({ cpu: normalizeCpu(limits.cpu), memory: normalizeMemory(limits.memory) });
    },
    normalize: (v) => (v ? clean({ cpu: normalizeCpu(v.cpu), memory: normalizeMemory(v.memory) }) : undefined),
    write: (s, v) => {
      const r = (container(s).resources ??= {});
      const limits = (r.limits ??= {});
      if (v?.cpu !== undefined) setOrDelete(limits, 'cpu', normalizeCpu(v.cpu));
      if (v?.memory !== undefined) setOrDelete(limits, 'memory', normalizeMemory(v.memory));
      // Sending `resources` without cpuIdle would switch to instance billing (proto comment).
      if (r.cpuIdle === undefined) r.cpuIdle = true;
    },
  }),
  field({
    name: 'scaling',
    scope: 'template',
    read: (s) =>
      clean({
        minInstances: num(s.template?.scaling?.minInstanceCount) ?? 0,
        maxInstances: num(s.template?.scaling?.maxInstanceCount),
        concurrency: num(s.template?.maxInstanceRequestConcurrency),
      }),
    normalize: (v) => (v ? clean({ minInstances: num(v.minInstances), maxInstances: num(v.maxInstances), concurrency: num(v.concurrency) }) : undefined),
    write: (s, v) => {
      const t = template(s);
      const scaling = (t.scaling ??= {});
      if (v?.minInstances !== undefined) scaling.minInstanceCount = Number(v.minInstances);
      if (v?.maxInstances !== undefined) scaling.maxInstanceCount = Number(v.maxInstances);
      if (v?.concurrency !== undefined) t.maxInstanceRequestConcurrency = Number(v.concurrency);
    },
  }),
  field({
    name: 'timeout',
    scope: 'template',
    read: (s) => (s.template?.timeout ? normalizeDuration(s.template.timeout) : undefined),
    normalize: (v) => normalizeDuration(v),
    write: (s, v) => (template(s).timeout = toProtoDuration(v)),
  }),
  field({
    name: 'cpuThrottling',
    scope: 'template',
    read: (s) => {
      const r = c0(s)?.resources;
      return r ? r.cpuIdle !== false : true;
    },
    normalize: (v) => (v === undefined ? undefined : !!v),
    write: (s, v) => ((container(s).resources ??= {}).cpuIdle = !!v),
  }),
  field({
    name: 'startupCpuBoost',
    scope: 'template',
    read: (s) => !!c0(s)?.resources?.startupCpuBoost,
    normalize: (v) => (v === undefined ? undefined : !!v),
    write: (s, v) => ((container(s).resources ??= {}).startupCpuBoost = !!v),
  }),
  field({
    name: 'executionEnvironment',
    scope: 'template',
    read: (s) => EXEC_ENV_R[enumName(s.template?.executionEnvironment) ?? ''],
    normalize: (v) => v,
    write: (s, v) => (template(s).executionEnvironment = lookup(EXEC_ENV, v)),
  }),
  field({
    name: 'serviceAccount',
    scope: 'template',
    read: (s) => s.template?.serviceAccount || undefined,
    normalize: (v) => v,
    write: (s, v) => (template(s).serviceAccount = v),
  }),
  field({
    name: 'vpc',
    scope: 'template',
    read: (s) => {
      const v = s.template?.vpcAccess;
      if (!v || (!v.connector && !v.networkInterfaces?.length)) return undefined;
      const egress = EGRESS_R[enumName(v.egress) ?? ''] ?? 'private-ranges-only';
      if (v.connector) return { connector: v.connector, egress };
      const ni = v.networkInterfaces![0];
      return clean({ network: ni.network || undefined, subnetwork: ni.subnetwork || undefined, networkTags: ni.tags?.length ? [...ni.tags] : undefined, egress });
    },
    normalize: (v, ctx) => {
      if (!v) return undefined;
      const egress = v.egress ?? 'private-ranges-only';
      if (v.connector) return { connector: ctx.connector?.(v.connector) ?? v.connector, egress };
      // Cloud Run fills the network from the subnetwork and the subnetwork from the
      // network (gcp-apis.md §1.4): the filled value is no difference.
      return clean({ network: v.network ?? v.subnetwork, subnetwork: v.subnetwork ?? v.network, networkTags: v.networkTags?.length ? [...v.networkTags] : undefined, egress });
    },
    write: (s, v, ctx) => {
      if (!v) return void (template(s).vpcAccess = undefined);
      const egress = EGRESS[v.egress ?? 'private-ranges-only'];
      template(s).vpcAccess = v.connector
        ? { connector: ctx.connector?.(v.connector) ?? v.connector, egress }
        : { egress, networkInterfaces: [{ ...(v.network ? { network: v.network } : {}), ...(v.subnetwork ? { subnetwork: v.subnetwork } : {}), ...(v.networkTags?.length ? { tags: [...v.networkTags] } : {}) }] };
    },
  }),
  field({
    name: 'volumes',
    scope: 'template',
    read: (s) => {
      const mounts = c0(s)?.volumeMounts ?? [];
      const vols = new Map((s.template?.volumes ?? []).map((v) => [v.name, v]));
      return normalizeVolumes(
        mounts.filter((m) => !foreign(vols.get(m.name))).map((m) => {
          const v: Volume = vols.get(m.name) ?? {};
          return { volume: String(m.name), mountPath: String(m.mountPath), readOnly: !!(v.gcs?.readOnly ?? v.nfs?.readOnly), source: volumeSource(v) };
        }),
      );
    },
    normalize: (v, ctx) => normalizeVolumes(v?.map((m) => ({ ...m, source: volumeSource(ctx.volume(m.volume)) }))),
    write: (s, v, ctx) => {
      const t = template(s);
      const list = v ?? [];
      let needsGen2 = false;
      // Volumes no Volume expresses (secrets as files, Cloud SQL) stay as they are, mounts included.
      const kept = (t.volumes ?? []).filter(foreign);
      const keptNames = new Set(kept.map((k) => k.name));
      const keptMounts = (container(s).volumeMounts ?? []).filter((m) => keptNames.has(m.name));
      t.volumes = [...kept, ...list.map((m): Volume => {
        const spec: VolumeSpec = ctx.volume(m.volume) ?? {};
        if (spec.gcs) {
          needsGen2 = true;
          return { name: m.volume, gcs: { bucket: spec.gcs.bucket, readOnly: !!m.readOnly, mountOptions: spec.gcs.mountOptions ?? [] } };
        }
        if (spec.nfs) {
          needsGen2 = true;
          return { name: m.volume, nfs: { server: spec.nfs.server, path: spec.nfs.path, readOnly: !!m.readOnly } };
        }
        return { name: m.volume, emptyDir: { medium: 'MEMORY', sizeLimit: spec.memory?.sizeLimit ? normalizeMemory(spec.memory.sizeLimit) : undefined } };
      })];
      container(s).volumeMounts = [...keptMounts, ...list.map((m) => ({ name: m.volume, mountPath: m.mountPath }))];
      // Cloud Storage and NFS volumes run only in the second-generation environment.
      if (needsGen2) t.executionEnvironment = EXEC_ENV.gen2;
    },
  }),
  field({
    name: 'revision',
    scope: 'template',
    read: (s) => s.template?.revision || undefined,
    normalize: (v, ctx) => (v ? fullRevision(ctx.serviceName, v) : undefined),
    write: (s, v, ctx) => (template(s).revision = v ? fullRevision(ctx.serviceName, v) : ''),
  }),
  field({
    name: 'ingress',
    scope: 'service',
    read: (s) => INGRESS_R[enumName(s.ingress) ?? ''],
    normalize: (v) => v,
    write: (s, v) => (s.ingress = lookup(INGRESS, v)),
  }),
  field({
    // Public without an allUsers binding: Cloud Run skips the invoker IAM check (works
    // under Domain Restricted Sharing; cloud.google.com/run/docs/authenticating/public).
    name: 'invokerIamCheck',
    scope: 'service',
    read: (s) => !s.invokerIamDisabled,
    normalize: (v) => (v === undefined ? undefined : !!v),
    write: (s, v) => (s.invokerIamDisabled = v === false),
  }),
  field({
    name: 'binaryAuthorization',
    scope: 'service',
    read: (s) => {
      const b = s.binaryAuthorization;
      if (!b) return undefined;
      if (b.breakglassJustification) return { breakglassJustification: b.breakglassJustification };
      if (b.useDefault) return 'default';
      if (b.policy) return b.policy;
      return undefined;
    },
    normalize: (v) => (v && typeof v === 'object' ? { breakglassJustification: v.breakglassJustification } : v),
    write: (s, v) => {
      if (!v) s.binaryAuthorization = undefined;
      else if (v === 'default') s.binaryAuthorization = { useDefault: true };
      else if (typeof v === 'string') s.binaryAuthorization = { policy: v };
      else s.binaryAuthorization = { useDefault: true, breakglassJustification: v.breakglassJustification };
    },
  }),
  field({
    name: 'traffic',
    scope: 'service',
    read: (s) =>
      normalizeTraffic(
        (s.traffic ?? []).map((t) => ({
          tag: t.tag,
          revision: t.revision,
          latest: enumName(t.type) === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' || (!t.revision && !t.type),
          percent: num(t.percent) ?? 0,
        })),
        s.name?.split('/').pop() ?? '',
      ),
    normalize: (v, ctx) => normalizeTraffic(v, ctx.serviceName),
    write: (s, v, ctx) =>
      (s.traffic = (v ?? []).map(
        (t): TrafficTargetApi =>
          t.latest
            ? { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: Number(t.percent ?? 0), ...(t.tag !== undefined ? { tag: t.tag } : {}) }
            : {
                type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
                // The schema requires a revision on a target that is not `latest`.
                revision: fullRevision(ctx.serviceName, t.revision ?? ''),
                percent: Number(t.percent ?? 0),
                ...(t.tag !== undefined ? { tag: t.tag } : {}),
              },
      )),
  }),
  field({
    name: 'public',
    scope: 'iam',
    read: (_s, iam) => iam?.public ?? false,
    normalize: (v) => (v === undefined ? undefined : !!v),
    write: () => {},
  }),
  field({
    name: 'invokers',
    scope: 'iam',
    read: (_s, iam) => [...(iam?.invokers ?? [])].sort(),
    normalize: (v) => (v ? [...new Set<string>(v)].sort() : undefined),
    write: () => {},
  }),
];

export const FIELD_BY_NAME = new Map<string, FieldSpec>(SERVICE_FIELDS.map((f) => [f.name, f]));

/** Fields whose change creates a new revision. */
export const TEMPLATE_FIELDS = new Set<string>(SERVICE_FIELDS.filter((f) => f.scope === 'template').map((f) => f.name));

/** Live service → manifest-form spec (IAM fields only when `iam` is given). */
export function readSpec(svc: RunService, iam?: IamView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of SERVICE_FIELDS) {
    if (f.scope === 'iam' && !iam) continue;
    const v = f.read(svc, iam);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** Desired manifest spec → normalised manifest form (only declared fields). */
export function normalizeSpec(spec: Partial<ServiceSpec>, ctx: WriteContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of SERVICE_FIELDS) {
    if (spec[f.name] === undefined) continue;
    const v = f.normalize(spec[f.name], ctx);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** The compute default service account Cloud Run runs a revision as when none is set. */
export const DEFAULT_SERVICE_ACCOUNT = /^\d+-compute@developer\.gserviceaccount\.com$/;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** An absent or empty list (live specs hold arrays or nothing here). */
const noItems = (v: unknown) => !Array.isArray(v) || !v.length;

/**
 * What Cloud Run fills in when a manifest leaves a field out, per field (manifest form):
 * `get -o yaml` omits these values, so its output reads like the manifest a person
 * would write, and applying it back changes nothing.
 */
const SERVER_DEFAULTS: Record<string, (v: unknown) => boolean> = {
  port: (v) => v === 8080,
  env: (v) => !v || !Object.keys(v).length,
  resources: (v) => same(v, { cpu: '1', memory: '512Mi' }),
  timeout: (v) => v === '300s',
  cpuThrottling: (v) => v === true,
  startupCpuBoost: (v) => v === false,
  volumes: (v) => noItems(v),
  serviceAccount: (v) => typeof v === 'string' && DEFAULT_SERVICE_ACCOUNT.test(v),
  ingress: (v) => v === 'all',
  invokerIamCheck: (v) => v === true,
  traffic: (v) => same(v, [{ latest: true, percent: 100 }]),
  public: (v) => v === false,
  invokers: (v) => noItems(v),
};

/** A live spec (from `readSpec`) without the values Cloud Run fills in by default. */
export function withoutServerDefaults(spec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (SERVER_DEFAULTS[k]?.(v)) continue;
    if (k === 'volumes' && Array.isArray(v)) {
      // `source` is the backing store, compared internally; a mount declares only these.
      out.volumes = v.map((m: NormalVolume) => ({ volume: m.volume, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) }));
      continue;
    }
    if (k === 'scaling') {
      // Cloud Run's defaults: no warm instances, at most 100, 80 concurrent requests per instance.
      const { minInstances, concurrency, ...rest } = isRecord(v) ? v : {};
      const { maxInstances, ...others } = rest;
      const scaling = { ...(minInstances ? { minInstances } : {}), ...(maxInstances !== undefined && maxInstances !== 100 ? { maxInstances } : {}), ...others, ...(concurrency !== undefined && concurrency !== 80 ? { concurrency } : {}) };
      if (Object.keys(scaling).length) out.scaling = scaling;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Output-only fields the API ignores or rejects on input. */
const OUTPUT_ONLY: (keyof RunService)[] = [
  'uid', 'generation', 'createTime', 'updateTime', 'deleteTime', 'expireTime', 'creator', 'lastModifier',
  'observedGeneration', 'terminalCondition', 'conditions', 'latestReadyRevision', 'latestCreatedRevision',
  'trafficStatuses', 'uri', 'urls', 'satisfiesPzs', 'reconciling', 'threatDetectionEnabled',
];

/** A writable copy of a live service (output-only fields removed). */
export function writable(svc: RunService): RunService {
  const copy = JSON.parse(JSON.stringify(svc)) as RunService;
  for (const k of OUTPUT_ONLY) delete copy[k];
  return copy;
}

/**
 * Mark a create or update body as runctl's: Cloud Run keeps `client`/`clientVersion` as
 * sent (gcloud sends `client: gcloud`), and without them an update would echo the last
 * writer's name back, crediting runctl's change to gcloud or the console.
 */
export function stampClient(body: RunService): RunService {
  return Object.assign(body, clientStamp());
}

/**
 * Who made the live service's last change: Cloud Run's `lastModifier` (the account) and
 * `client`/`clientVersion` (the tool), and whether the tool was runctl.
 */
export function lastChange(svc: RunService): { lastModifier?: string; lastModifiedByRunctl?: boolean } {
  if (!svc.lastModifier) return {};
  const via = svc.client ? ` (via ${svc.client}${svc.clientVersion ? ` ${svc.clientVersion}` : ''})` : '';
  return { lastModifier: `${svc.lastModifier}${via}`, lastModifiedByRunctl: writtenByRunctl(svc.client) };
}

/** Invoker facts from an IAM policy. */
/** A service's IAM policy, as the Cloud Run client's IAM methods read and write it. */
export type IamPolicy = protos.google.iam.v1.IPolicy;

export function iamView(policy: IamPolicy | null | undefined): IamView {
  const members = new Set<string>();
  for (const b of policy?.bindings ?? []) if (b.role === 'roles/run.invoker') for (const m of b.members ?? []) members.add(m);
  return { public: members.has('allUsers'), invokers: [...members].filter((m) => m !== 'allUsers' && m !== 'allAuthenticatedUsers').sort() };
}

/** A policy with `roles/run.invoker` set to the desired members; other roles kept. */
export function withInvokers(policy: IamPolicy | undefined, desired: { public?: boolean; invokers?: string[] }, current: IamView): IamPolicy {
  const pub = desired.public ?? current.public;
  const inv = desired.invokers ?? current.invokers;
  const members = [...(pub ? ['allUsers'] : []), ...inv];
  const bindings = (policy?.bindings ?? []).filter((b) => b.role !== 'roles/run.invoker');
  if (members.length) bindings.push({ role: 'roles/run.invoker', members });
  return { ...(policy ?? {}), bindings };
}

/** One traffic status with the revision it routes to named (`revision` a short id). */
export interface ServingTraffic {
  type?: protos.google.cloud.run.v2.ITrafficTargetStatus['type'];
  revision?: string;
  percent: number;
  tag?: string;
  uri?: string;
}

/**
 * A service's `trafficStatuses` with every entry's revision named. Google leaves
 * `revision` out of LATEST entries (they follow the latest ready revision), so read it
 * from `latestReadyRevision`; never rely on either form alone.
 */
export function servingTraffic(svc: RunService | undefined): ServingTraffic[] {
  const latest = String(svc?.latestReadyRevision ?? '').split('/').pop() || undefined;
  return (svc?.trafficStatuses ?? []).map((t) => ({
    type: t.type,
    revision: t.revision || (t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' ? latest : undefined),
    percent: Number(t.percent ?? 0),
    ...(t.tag ? { tag: t.tag } : {}),
    ...(t.uri ? { uri: t.uri } : {}),
  }));
}
