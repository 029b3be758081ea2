/**
 * Server-filled defaults of a Service (gcp-apis.md §1.4): what the real API adds when a
 * field is omitted. Applying them twice changes nothing, so a client that echoes a GET
 * back gets the same configuration (and no new revision).
 */
import { parseCpu } from './quantities';
import type { Obj } from './state';

/** Traffic target types. */
export const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

/** What defaults depend on besides the request. */
export interface DefaultsContext {
  projectNumber: string;
  /** GPU quota of the region, when configured: the default max instances of GPU services. */
  gpuQuota?: number;
}

const DEFAULT_LIMITS = { cpu: '1000m', memory: '512Mi' };

/** Index of the ingress container: the one that declares a port, else the first. */
export function ingressIndex(containers: Obj[]): number {
  const i = containers.findIndex((c) => c.ports?.length);
  return i < 0 ? 0 : i;
}

function probeDefaults(probe: Obj, port: number | undefined): void {
  for (const kind of ['tcpSocket', 'httpGet', 'grpc']) {
    if (probe[kind] && !probe[kind].port && port) probe[kind].port = port;
  }
  if (probe.httpGet && !probe.httpGet.path) probe.httpGet.path = '/';
  probe.timeoutSeconds ||= 1;
  probe.periodSeconds ||= 10;
  probe.failureThreshold ||= 3;
}

function containerDefaults(c: Obj, ingress: boolean): void {
  if (!c.resources) c.resources = { limits: { ...DEFAULT_LIMITS }, cpuIdle: true };
  else c.resources.limits = { ...DEFAULT_LIMITS, ...(c.resources.limits ?? {}) };
  if (ingress) {
    if (!c.ports?.length) c.ports = [{ name: 'http1', containerPort: 8080 }];
    c.ports[0].name ||= 'http1';
    c.ports[0].containerPort ||= 8080;
  }
  const port: number | undefined = c.ports?.[0]?.containerPort;
  if (ingress && !c.startupProbe) {
    c.startupProbe = { tcpSocket: { port }, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 };
  } else if (c.startupProbe) {
    probeDefaults(c.startupProbe, port);
  }
  if (c.livenessProbe) probeDefaults(c.livenessProbe, port);
}

/** Fill a RevisionTemplate's defaults in place. */
export function templateDefaults(t: Obj, ctx: DefaultsContext): Obj {
  const containers: Obj[] = t.containers ?? [];
  const ingress = ingressIndex(containers);
  containers.forEach((c, i) => containerDefaults(c, i === ingress));
  t.scaling ??= {};
  if (!t.scaling.maxInstanceCount) {
    t.scaling.maxInstanceCount = t.nodeSelector?.accelerator && ctx.gpuQuota ? Math.min(ctx.gpuQuota, 100) : 100;
  }
  if (!t.timeout || (!Number(t.timeout.seconds) && !t.timeout.nanos)) t.timeout = { seconds: '300' };
  t.serviceAccount ||= `${ctx.projectNumber}-compute@developer.gserviceaccount.com`;
  if (!t.maxInstanceRequestConcurrency) {
    const cpu = parseCpu(containers[ingress]?.resources?.limits?.cpu);
    t.maxInstanceRequestConcurrency = cpu < 1 ? 1 : 80;
  }
  if (t.vpcAccess) {
    if (!t.vpcAccess.egress || t.vpcAccess.egress === 'VPC_EGRESS_UNSPECIFIED') t.vpcAccess.egress = 'PRIVATE_RANGES_ONLY';
    for (const ni of t.vpcAccess.networkInterfaces ?? []) {
      // The API fills whichever of network/subnetwork is missing from the other.
      if (ni.network && !ni.subnetwork) ni.subnetwork = ni.network;
      if (ni.subnetwork && !ni.network) ni.network = ni.subnetwork;
    }
  }
  return t;
}

/** Fill a Service spec's defaults in place (template included). */
export function serviceDefaults(spec: Obj, ctx: DefaultsContext): Obj {
  if (!spec.ingress || spec.ingress === 'INGRESS_TRAFFIC_UNSPECIFIED') spec.ingress = 'INGRESS_TRAFFIC_ALL';
  if (!spec.launchStage || spec.launchStage === 'LAUNCH_STAGE_UNSPECIFIED') spec.launchStage = 'GA';
  // Google answers service-level `scaling: {maxInstanceCount: 100}` when none was sent
  // (recorded real-API exchanges, issue 13, difference 6).
  if (!spec.scaling || !Object.keys(spec.scaling).length) spec.scaling = { maxInstanceCount: 100 };
  if (spec.template) templateDefaults(spec.template, ctx);
  if (!spec.traffic?.length) {
    spec.traffic = [{ type: LATEST, percent: 100 }];
  } else {
    for (const t of spec.traffic) {
      if (!t.type || t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED') t.type = t.revision ? REVISION : LATEST;
    }
  }
  return spec;
}
