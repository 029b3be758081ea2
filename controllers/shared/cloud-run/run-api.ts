/**
 * Cloud Run Admin API calls shared by the kinds that own a Cloud Run service (Service,
 * GpuModel): the one list read per region (and the regions a project uses), IAM reads, waiting on operations, deletes,
 * and the Ready condition read off a live service.
 */
import type { ApplyContext, LiveResource, ObserveContext, ResourceStatus, Scope } from '../../../src/engine/controller';
import { RunctlError } from '../../../src/engine/types';
import { apiError, isNotFound } from '../../../src/gcp/errors';
import { iamView, type IamPolicy, type IamView, type RunService } from './run-service';

/** List every service in a project/region once per run, keyed by full name. */
export async function listServices(ctx: ObserveContext, project: string, region: string): Promise<Map<string, RunService>> {
  const parent = `projects/${project}/locations/${region}`;
  return ctx.cached(`run.services:${parent}`, async () => {
    const out = new Map<string, RunService>();
    // The largest page (1000, a region's service limit) keeps a plan at one call per region.
    for await (const s of ctx.clients.runServices().listServicesAsync({ parent, pageSize: 1000 }, { autoPaginate: false })) out.set(s.name as string, s as RunService);
    return out;
  });
}

/**
 * The regions where a project uses Cloud Run, once per run: Locations.ListLocations on
 * the Cloud Run endpoint, keeping the locations labelled `initialized` (the project has
 * or had Cloud Run resources there), as Google's own Cloud Run tools do.
 */
export async function runRegions(ctx: ObserveContext, project: string): Promise<string[]> {
  return ctx.cached(`run.locations:projects/${project}`, async () => {
    const regions: string[] = [];
    for await (const loc of ctx.clients.runServices().listLocationsAsync({ name: `projects/${project}`, pageSize: 1000 }, { autoPaginate: false })) {
      if (loc.labels?.initialized && loc.locationId) regions.push(loc.locationId);
    }
    return regions.sort();
  });
}

/**
 * Every service of a project in every region. ListServices refuses the `-` wildcard
 * location ("cannot be the "-" wildcard", service.proto), so this lists the project's
 * initialized regions ({@link runRegions}) and then each region, concurrently; the
 * per-region lists are the same cached ones `observe` uses.
 */
export async function listAllServices(ctx: ObserveContext, project: string): Promise<Map<string, RunService>> {
  const regions = await runRegions(ctx, project);
  const lists = await Promise.all(regions.map((region) => listServices(ctx, project, region)));
  return new Map(lists.flatMap((m) => [...m]));
}

/** The service's IAM policy and the invoker facts in it. */
export async function readIam(ctx: ObserveContext, name: string): Promise<{ view: IamView; policy: IamPolicy }> {
  const [policy] = await ctx.clients.runServices().getIamPolicy({ resource: name });
  return { view: iamView(policy), policy };
}

/**
 * Wait for a Cloud Run operation, then re-read the service (operation results are
 * protobuf messages with numeric enums, not the plain objects reads return). A failure
 * carries the service's terminal condition message.
 */
export async function waitForService(ctx: ApplyContext, op: { promise(): Promise<unknown> }, name: string, what: string, waiting = 'waiting for the operation'): Promise<RunService> {
  ctx.progress(`${what}: ${waiting}`);
  try {
    await op.promise();
  } catch (err) {
    let detail = apiError(err).message;
    try {
      const [svc] = await ctx.clients.runServices().getService({ name });
      const msg = (svc as RunService).terminalCondition?.message;
      if (msg && !detail.includes(msg)) detail = `${detail}; ${msg}`;
    } catch {
      /* a failed create may leave nothing to read */
    }
    throw new RunctlError('ApiError', `${what} failed: ${detail}`, { cause: err });
  }
  const [svc] = await ctx.clients.runServices().getService({ name });
  return svc as RunService;
}

/**
 * Delete a service; one already gone is success. With `etag` (the one the engine just
 * read) Cloud Run refuses the delete if the service changed since (ABORTED), so a
 * service relabelled or changed by another writer in between is not deleted.
 */
export async function deleteService(ctx: ApplyContext, name: string, etag?: string): Promise<void> {
  try {
    const [op] = await ctx.clients.runServices().deleteService({ name, ...(etag ? { etag } : {}) });
    await op.promise();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The Ready condition of a live service. */
export function readyOf(svc: RunService): ResourceStatus['ready'] {
  const tc = svc.terminalCondition ?? {};
  if (svc.reconciling) return { status: 'Unknown', reason: 'Creating', message: 'reconciling' };
  if (tc.state === 'CONDITION_SUCCEEDED') return { status: 'True', reason: 'Available' };
  if (tc.state === 'CONDITION_FAILED') return { status: 'False', reason: 'Unavailable', message: tc.message ?? undefined };
  return { status: 'Unknown', reason: 'Creating', message: tc.message ?? undefined };
}

/** The last path segment of a resource name. */
export const shortName = (n?: string | null) => (n ? String(n).split('/').pop() : undefined);

/**
 * Live Cloud Run services in the scopes as `kind` resources (for `get` and `--prune`):
 * `describe` returns the manifest-form spec and status, or undefined to skip a service.
 * A scope without a region is listed in every region the project uses ({@link listAllServices}).
 */
export async function liveServices(
  ctx: ObserveContext,
  scopes: Scope[],
  kind: string,
  describe: (svc: RunService, scope: Scope & { region: string }) => { spec: Record<string, unknown>; status: ResourceStatus } | undefined,
): Promise<LiveResource[]> {
  const out = new Map<string, LiveResource>();
  for (const s of scopes) {
    for (const svc of (s.region ? await listServices(ctx, s.project, s.region) : await listAllServices(ctx, s.project)).values()) {
      const fullName = svc.name as string;
      if (out.has(fullName)) continue;
      const scope = { project: s.project, region: fullName.split('/')[3] };
      const d = describe(svc, scope);
      if (!d) continue;
      const name = shortName(fullName)!;
      out.set(fullName, { kind, name, identity: { ...scope, name, fullName }, labels: { ...(svc.labels ?? {}) }, etag: svc.etag ?? undefined, ...d });
    }
  }
  return [...out.values()];
}
