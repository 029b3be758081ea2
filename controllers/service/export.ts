/**
 * A live Cloud Run service as the Service manifest a person would write (`runctl export`,
 * `get -o yaml`): server defaults and client annotations left out, references rebuilt
 * towards the other exported resources, its mounts as the Volumes they imply, and every
 * live setting no Service field expresses listed rather than dropped.
 */
import type { ExportedSpec, ExportOptions, Form, LiveResource } from '../../src/engine/controller';
import type { RunService } from '../shared/cloud-run/run-service';
import { normalizeMemory } from '../shared/quantity';

/**
 * Annotation prefixes that clients and the server write for their own bookkeeping (gcloud
 * and the console name themselves and the image the user typed; Knative records who
 * changed what; runctl its rollouts): not settings, so never exported.
 */
export const CLIENT_ANNOTATIONS = [
  'run.googleapis.com/client-name',
  'run.googleapis.com/client-version',
  'run.googleapis.com/operation-id',
  'run.googleapis.com/ingress-status',
  'run.googleapis.com/urls',
  'run.googleapis.com/creator',
  'run.googleapis.com/lastModifier',
  'client.knative.dev/',
  'serving.knative.dev/',
  'runctl.dev/',
];

const isClientAnnotation = (k: string) => CLIENT_ANNOTATIONS.some((p) => (p.endsWith('/') ? k.startsWith(p) : k === p));

/** Labels and annotations left after the bookkeeping ones. */
function userEntries(map: Record<string, string> | null | undefined, skip: (k: string) => boolean): string[] {
  return Object.keys(map ?? {}).filter((k) => !skip(k)).sort();
}

/** The startup probe Cloud Run adds when none is given (TCP on the port, 240 s). */
function defaultProbe(p: NonNullable<NonNullable<RunService['template']>['containers']>[number]['startupProbe']): boolean {
  return !!p?.tcpSocket && !p.httpGet && !p.grpc && Number(p.timeoutSeconds ?? 240) === 240 && Number(p.periodSeconds ?? 240) === 240 && Number(p.failureThreshold ?? 1) === 1;
}

/** Live settings no Service field expresses, each naming the API field. */
export function unexpressed(svc: RunService): string[] {
  const out: string[] = [];
  const t = svc.template ?? {};
  const add = (cond: unknown, what: string) => cond && out.push(what);
  add(svc.description, `description: ${JSON.stringify(svc.description)}`);
  for (const k of userEntries(svc.annotations, isClientAnnotation)) out.push(`annotations["${k}"]`);
  for (const k of userEntries(t.annotations, isClientAnnotation)) out.push(`template.annotations["${k}"]`);
  for (const k of userEntries(t.labels, () => false)) out.push(`template.labels["${k}"] (revision label)`);
  const scaling = svc.scaling ?? {};
  add(scaling.minInstanceCount, `scaling.minInstanceCount: ${scaling.minInstanceCount} (service-level minimum)`);
  add(scaling.maxInstanceCount && Number(scaling.maxInstanceCount) !== 100, `scaling.maxInstanceCount: ${scaling.maxInstanceCount} (service-level maximum)`);
  add(scaling.scalingMode && scaling.scalingMode !== 'AUTOMATIC' && scaling.scalingMode !== 'SCALING_MODE_UNSPECIFIED', `scaling.scalingMode: ${scaling.scalingMode}`);
  add(svc.customAudiences?.length, `customAudiences: ${JSON.stringify(svc.customAudiences)}`);
  add(svc.defaultUriDisabled, 'defaultUriDisabled: true');
  add(svc.launchStage && svc.launchStage !== 'GA' && svc.launchStage !== 'LAUNCH_STAGE_UNSPECIFIED', `launchStage: ${svc.launchStage}`);
  add(t.encryptionKey, `template.encryptionKey: ${t.encryptionKey}`);
  add(t.sessionAffinity, 'template.sessionAffinity: true');
  add(t.healthCheckDisabled, 'template.healthCheckDisabled: true');
  add(t.serviceMesh?.mesh, `template.serviceMesh: ${t.serviceMesh?.mesh}`);
  add(t.nodeSelector?.accelerator, `template.nodeSelector.accelerator: ${t.nodeSelector?.accelerator} (a GPU: see the GpuModel kind)`);
  add(t.vpcAccess?.networkInterfaces?.length && !t.vpcAccess.connector, `template.vpcAccess.networkInterfaces (Direct VPC egress: ${JSON.stringify(t.vpcAccess?.networkInterfaces)})`);
  for (const v of t.volumes ?? []) {
    if (v.secret) out.push(`template.volumes["${v.name}"] (Secret Manager secret ${v.secret.secret} mounted as files)`);
    if (v.cloudSqlInstance) out.push(`template.volumes["${v.name}"] (Cloud SQL connections: ${(v.cloudSqlInstance.instances ?? []).join(', ')})`);
    if (v.emptyDir && v.emptyDir.medium !== 'MEMORY') out.push(`template.volumes["${v.name}"] (emptyDir medium ${v.emptyDir.medium ?? 'unspecified'})`);
  }
  const containers = t.containers ?? [];
  containers.slice(1).forEach((c, i) => out.push(`template.containers[${i + 1}] (sidecar "${c.name ?? ''}", image ${c.image})`));
  const c = containers[0];
  if (c) {
    add(c.workingDir, `template.containers[0].workingDir: ${c.workingDir}`);
    add(c.livenessProbe, 'template.containers[0].livenessProbe');
    add(c.readinessProbe, 'template.containers[0].readinessProbe');
    add(c.startupProbe && !defaultProbe(c.startupProbe), 'template.containers[0].startupProbe (other than the default TCP probe)');
    add(c.dependsOn?.length, `template.containers[0].dependsOn: ${JSON.stringify(c.dependsOn)}`);
    add(c.baseImageUri, `template.containers[0].baseImageUri: ${c.baseImageUri} (automatic base image updates)`);
    add(c.ports?.[0]?.name && c.ports[0].name !== 'http1', `template.containers[0].ports[0].name: ${c.ports?.[0]?.name} (end-to-end HTTP/2)`);
    for (const k of Object.keys(c.resources?.limits ?? {})) if (k !== 'cpu' && k !== 'memory') out.push(`template.containers[0].resources.limits["${k}"]`);
    const mounted = new Set((c.volumeMounts ?? []).map((m) => m.name));
    for (const v of t.volumes ?? []) if (!mounted.has(v.name)) out.push(`template.volumes["${v.name}"] (declared, not mounted by the first container)`);
  }
  return out;
}

/** The Volumes a service's mounts imply (Cloud Storage, NFS, in-memory), by volume name. */
export function impliedVolumes(svc: RunService): NonNullable<ExportedSpec['related']> {
  const mounted = new Set((svc.template?.containers?.[0]?.volumeMounts ?? []).map((m) => m.name));
  const out: NonNullable<ExportedSpec['related']> = [];
  for (const v of svc.template?.volumes ?? []) {
    if (!v.name || !mounted.has(v.name)) continue;
    let spec: Form | undefined;
    if (v.gcs) spec = { gcs: { bucket: v.gcs.bucket, ...(v.gcs.mountOptions?.length ? { mountOptions: v.gcs.mountOptions } : {}) } };
    else if (v.nfs) spec = { nfs: { server: v.nfs.server, path: v.nfs.path } };
    else if (v.emptyDir?.medium === 'MEMORY') spec = { memory: v.emptyDir.sizeLimit ? { sizeLimit: normalizeMemory(v.emptyDir.sizeLimit) } : {} };
    if (spec) out.push({ kind: 'Volume', name: v.name, spec });
  }
  return out;
}

/**
 * Fields runctl writes by itself from others: the second-generation environment that
 * Cloud Storage and NFS mounts need is set with them, so a manifest need not say it.
 */
export function withoutImplied(spec: Form, svc: RunService | undefined): Form {
  const needsGen2 = (svc?.template?.volumes ?? []).some((v) => v.gcs || v.nfs);
  if (!needsGen2 || spec.executionEnvironment !== 'gen2') return spec;
  const { executionEnvironment: _implied, ...rest } = spec;
  return rest;
}

/** The email of an exported service account (its status, else the documented form). */
function accountEmail(r: LiveResource): string {
  const email = r.status?.fields?.email;
  return typeof email === 'string' ? email : `${r.name}@${r.identity.project}.iam.gserviceaccount.com`;
}

/** The secret an env variable of the live service names, as the service spells it. */
function rawSecret(svc: RunService | undefined, env: string): string | undefined {
  const ref = svc?.template?.containers?.[0]?.env?.find((e) => e.name === env)?.valueSource?.secretKeyRef;
  return ref?.secret ?? undefined;
}

/**
 * References towards the other exported resources: the run-as account as
 * `ServiceAccount/NAME`, env secrets by name (`latest` left out), and (only with
 * `--references`) an image under an exported Repository as `${Repository/NAME.status.url}/...`.
 */
export function withReferences(spec: Form, project: string, opts: ExportOptions | undefined, svc?: RunService): Form {
  const out: Form = { ...spec };
  const others = opts?.exported ?? [];
  const of = (kind: string) => others.filter((r) => r.kind === kind && r.identity.project === project);
  if (typeof out.serviceAccount === 'string') {
    const sa = of('ServiceAccount').find((r) => accountEmail(r) === out.serviceAccount);
    if (sa) out.serviceAccount = `ServiceAccount/${sa.name}`;
  }
  if (out.env && typeof out.env === 'object') {
    const env: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out.env as Record<string, unknown>)) {
      if (v && typeof v === 'object') {
        const ref = v as { secret?: string; version?: string };
        // An exported Secret of this project is referred to by its name (the reference
        // the set resolves), also where the live service spells it `projects/P/secrets/S`;
        // otherwise the secret is named as the live object names it. `latest` is the
        // default version.
        const secret = of('Secret').some((x) => x.name === ref.secret) ? ref.secret : rawSecret(svc, k) ?? ref.secret;
        env[k] = { secret, ...(ref.version && ref.version !== 'latest' ? { version: ref.version } : {}) };
      } else env[k] = v;
    }
    out.env = env;
  }
  if (opts?.references && typeof out.image === 'string') {
    for (const repo of of('Repository')) {
      const url = repo.status?.fields?.url;
      if (typeof url === 'string' && url && (out.image as string).startsWith(`${url}/`)) {
        out.image = `\${Repository/${repo.name}.status.url}${(out.image as string).slice(url.length)}`;
        break;
      }
    }
  }
  return out;
}

