/**
 * GpuModel: an open model served from one Cloud Run service with a GPU (Admin API v2):
 * the GPU type and count, CPU always allocated, zonal redundancy as declared, the
 * runtime's environment (Ollama: OLLAMA_NUM_PARALLEL = parallelism, KEEP_ALIVE -1,
 * MODEL), gen2, private, and `roles/run.invoker` for the service accounts of the
 * Services named in `invokers`. The Cloud Run GPU rules are checked in `validate`,
 * before the first API call.
 */
import type { ApplyContext, Controller, Form, Identity, LiveResource, Observed, PlanContext, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import type { GpuModelSpec } from '../generated/manifests';
import { diffDeclared } from '../../src/engine/diff';
import { RunctlError, type Manifest } from '../../src/engine/types';
import { isConflict } from '../../src/gcp/errors';
import { checkGpuRules, regionProblem } from './gpu-rules';
import { resolveAccount, resolveMember, serviceAccountRef } from '../shared/members';
import { desiredForm, isGpuService, KIND_LABEL, KIND_LABEL_VALUE, liveForm, manifestForm, writeGpuService } from './gpu-service';
import { projectOf, regionOf } from '../../src/engine/location';
import { deleteService, listAllServices, listServices, liveServices, readIam, readyOf, shortName, waitForService } from '../shared/cloud-run/run-api';
import { iamView, lastChange, stampClient, template, withInvokers, writable, type IamView, type RunService, type WriteContext } from '../shared/cloud-run/run-service';

const KIND = 'GpuModel';
const GPU_WAIT = 'waiting for the operation (a GPU revision starts when its model is loaded)';
const DEFAULT_SA = /-compute@developer\.gserviceaccount\.com$/;

/** How an invoker Service's account was found, for the plan. */
interface Invoker {
  service: string;
  member?: string;
  source: string;
}

const wctx = (m: Manifest<GpuModelSpec>): WriteContext => ({ serviceName: m.metadata.name, volume: () => undefined });

/**
 * The member for each entry of `invokers`: a `ServiceAccount/NAME` is that account; for a
 * Service, its manifest's serviceAccount, else the
 * live Service's, else the project's default compute account (which the GpuModel's own
 * service runs as, so it is known once that exists).
 */
export function resolveInvokers(m: Manifest<Pick<GpuModelSpec, 'invokers'>>, ctx: PlanContext, ownServiceAccount?: string): Invoker[] {
  return (m.spec.invokers ?? []).map((key) => {
    if (serviceAccountRef(key) !== undefined) return { service: key, member: resolveMember(key, ctx), source: 'its manifest' };
    const declared = ctx.manifestOf(key)?.spec.serviceAccount;
    if (typeof declared === 'string' && declared && !declared.includes('${')) return { service: key, member: `serviceAccount:${resolveAccount(declared, ctx)}`, source: `${key}'s manifest` };
    const live = ctx.statusOf(key)?.fields.serviceAccount;
    if (typeof live === 'string' && live) return { service: key, member: `serviceAccount:${live}`, source: `the live ${key}` };
    const fallback = ownServiceAccount && DEFAULT_SA.test(ownServiceAccount) ? ownServiceAccount : undefined;
    return { service: key, member: fallback && `serviceAccount:${fallback}`, source: "the project's default compute service account" };
  });
}

const members = (invokers: Invoker[]) => [...new Set(invokers.map((i) => i.member ?? "serviceAccount:(the project's default compute service account, known after apply)"))].sort();

function status(svc: RunService): ResourceStatus {
  return {
    fields: {
      url: svc.uri || undefined,
      serviceAccount: svc.template?.serviceAccount || undefined,
      region: svc.name?.split('/')[3],
      gpu: svc.template?.nodeSelector?.accelerator || undefined,
      latestReadyRevision: shortName(svc.latestReadyRevision),
    },
    ready: readyOf(svc),
  };
}

/** The compared form (see `gpu-service.ts`), with the GPU block the plan describes. */
type GpuForm = Form & { gpu?: { type?: string; count?: number; zonalRedundancy?: boolean } };
type GpuObserved = Observed<RunService, GpuForm>;

function observedFrom(svc: RunService, iam: IamView | undefined): GpuObserved {
  return { exists: true, spec: liveForm(svc, iam), labels: { ...(svc.labels ?? {}) }, etag: svc.etag ?? undefined, raw: svc, status: status(svc), ...lastChange(svc) };
}

async function writeService(m: Manifest<GpuModelSpec>, id: Identity, obs: GpuObserved, plan: ResourcePlan, ctx: ApplyContext): Promise<RunService> {
  const client = ctx.clients.runServices();
  const labels = { ...(m.metadata.labels ?? {}), [KIND_LABEL]: KIND_LABEL_VALUE };
  if (plan.action === 'create') {
    const body: RunService = stampClient({ labels, template: { containers: [{}] } });
    writeGpuService(body, m.spec, wctx(m));
    ctx.progress('creating the GPU service');
    // One that appeared meanwhile is the executor's to judge (it re-reads and re-plans).
    const [op] = await client.createService({ parent: `projects/${id.project}/locations/${id.region}`, serviceId: id.name, service: body });
    return await waitForService(ctx, op, id.fullName, 'create', GPU_WAIT);
  }
  const live = obs.raw;
  if (!live) throw new RunctlError('Internal', `${KIND}/${id.name}: an ${plan.action} plan without the live service`);
  const serviceChanged = plan.changes.some((c) => c.path.startsWith('metadata.labels') || (c.path.startsWith('spec.') && !/^spec\.(public|invokers)\b/.test(c.path)));
  if (!serviceChanged) return live;
  const body = stampClient(writable(live));
  body.labels = { ...(live.labels ?? {}), ...labels };
  // A changed template under the live revision name is a 409 (gcp-apis.md §1.2): let Cloud Run name it.
  template(body).revision = '';
  writeGpuService(body, m.spec, wctx(m));
  ctx.progress('updating the GPU service (new revision)');
  try {
    const [op] = await client.updateService({ service: body });
    return await waitForService(ctx, op, id.fullName, 'update', GPU_WAIT);
  } catch (err) {
    if (isConflict(err)) throw new RunctlError('Conflict', `${KIND}/${id.name} changed since it was read`, { cause: err });
    throw err;
  }
}

export const gpuModelController: Controller<GpuModelSpec, RunService, GpuForm> = {
  kind: KIND,
  // Its Cloud Run service is listed by Service too; export keeps the GpuModel.
  specialises: 'Service',
  schema: 'gpu-model.schema.json',
  regional: true,

  validate(m) {
    return checkGpuRules(m);
  },

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const region = regionOf(m, ctx.target);
    // The region may be a default (--region, gcloud), which validation cannot see: check it before the first call.
    const problem = regionProblem(m.spec.gpu?.type, region);
    if (problem) throw new RunctlError('InvalidValue', `${KIND}/${m.metadata.name}: ${problem}`, { source: 'user' });
    return { project, region, name: m.metadata.name, fullName: `projects/${project}/locations/${region}/services/${m.metadata.name}` };
  },

  async observe({ id }, ctx) {
    const svc = (await listServices(ctx, id.project, id.region!)).get(id.fullName);
    if (!svc) return { exists: false };
    return observedFrom(svc, (await readIam(ctx, id.fullName)).view);
  },

  desired({ manifest: m }, ctx) {
    const own = ctx.statusOf(`${KIND}/${m.metadata.name}`)?.fields.serviceAccount as string | undefined;
    return desiredForm(m.spec, members(resolveInvokers(m, ctx, own)), wctx(m));
  },

  plan({ manifest: m, desired, observed: obs }, ctx): ResourcePlan {
    const own = obs.status?.fields.serviceAccount as string | undefined;
    const notes = resolveInvokers(m, ctx, own).map((i) => `invoker ${i.service}: ${i.member ?? 'its service account'} (from ${i.source}${i.member ? '' : ', known after apply'})`);
    if (!obs.exists) {
      const { changes } = diffDeclared(desired, {});
      const g = desired.gpu;
      notes.unshift(`creates a private Cloud Run service with 1 ${g?.type} GPU per instance, CPU always allocated, zonal redundancy ${g?.zonalRedundancy ? 'on' : 'off'}`);
      return { action: 'create', changes, notes };
    }
    const { changes } = diffDeclared(desired, obs.spec, { exact: ['env'] });
    if (!changes.length) return { action: 'noop', changes, notes: [] };
    const iamOnly = changes.every((c) => /^spec\.(public|invokers)\b/.test(c.path));
    return { action: 'update', changes, notes: [iamOnly ? 'no new revision (only the invoker IAM policy changes)' : 'creates a new revision (the model restarts on new instances)', ...notes] };
  },

  async apply({ manifest: m, id, observed: obs, plan }, ctx) {
    const svc = await writeService(m, id, obs, plan, ctx);
    // Invokers are resolved now: a default-account invoker is the account this service runs as.
    const want = { public: false, invokers: members(resolveInvokers(m, ctx, svc.template?.serviceAccount ?? undefined)) };
    const current = await readIam(ctx, id.fullName);
    let iam = current.view;
    if (current.view.public || current.view.invokers.join(',') !== want.invokers.join(',')) {
      ctx.progress('setting the invoker IAM policy');
      const [updated] = await ctx.clients.runServices().setIamPolicy({ resource: id.fullName, policy: withInvokers(current.policy, want, current.view) });
      iam = iamView(updated);
    }
    return observedFrom(svc, iam);
  },

  async delete({ id, observed: obs }, ctx) {
    ctx.progress('deleting the GPU service');
    await deleteService(ctx, id.fullName, obs.etag);
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    return liveServices(ctx, scopes, KIND, (svc) => (isGpuService(svc) ? { spec: liveForm(svc), status: status(svc) } : undefined));
  },

  async exportSpec(r, ctx) {
    // `invokers` names Services; the live policy holds their accounts. A member that is
    // the account of exactly one Cloud Run service of the project maps back to it; others
    // stay under status as members (a manifest cannot name them).
    const { view } = await readIam(ctx, r.identity.fullName);
    const services = [...(await listAllServices(ctx, r.identity.project)).values()].filter((svc) => !isGpuService(svc));
    const invokers: string[] = [];
    const unmapped: string[] = [];
    for (const member of view.invokers) {
      const users = services.filter((svc) => `serviceAccount:${svc.template?.serviceAccount}` === member);
      if (users.length === 1) invokers.push(`Service/${shortName(users[0].name)}`);
      else unmapped.push(member);
    }
    const spec = manifestForm(r.spec);
    if (invokers.length) spec.invokers = invokers.sort();
    return { spec, status: { invokers: view.invokers, ...(unmapped.length ? { unmappedInvokers: unmapped } : {}) } };
  },
};
