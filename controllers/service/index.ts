/**
 * Service: a Cloud Run service (Admin API v2), its revisions' template, its traffic
 * split and its invoker IAM policy.
 */
import { resolveAccount, resolveMembers } from '../shared/members';
import type { Controller, Form, Identity, LiveResource, ObserveContext, Observed, PlanContext, Refusal, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import type { ServiceSpec, TrafficTarget } from '../generated/manifests';
import { diffDeclared } from '../../src/engine/diff';
import { defaultProject, locationOf, projectOf, regionOf } from '../../src/engine/location';
import { RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { apiError, isNotFound } from '../../src/gcp/errors';
import { GrpcCode } from '../../src/util/grpc-codes';
import { deleteService, listServices, liveServices, readIam, readyOf, shortName, waitForService } from '../shared/cloud-run/run-api';
import {
  FIELD_BY_NAME,
  fullRevision,
  iamView,
  lastChange,
  normalizeSpec,
  readSpec,
  servingTraffic,
  stampClient,
  TEMPLATE_FIELDS,
  withInvokers,
  withoutServerDefaults,
  template as revisionTemplate,
  writable,
  type IamView,
  type RunService,
  type WriteContext,
} from '../shared/cloud-run/run-service';
import { impliedVolumes, unexpressed, withoutImplied, withReferences } from './export';
import { clockFor } from './rollout/clock';
import { planRollout, rolloutStatus, validateRollout, type RolloutPlan } from './rollout/plan';
import { resourceProblems } from './run-limits';
import { activeRollout, ended, readRecord, ROLLOUT_ANNOTATION, rolloutConfig, servingRevision } from './rollout/state';
import { beginRollout, driveRollout, type RolloutTarget } from './rollout/drive';
import { serviceRollout } from './rollout/capability';
import { grantNotes, invokerGrants, withGranted } from './invoker-grants';
import { secretGrants } from './secret-grants';

const KIND = 'Service';

/**
 * `public: true` refused by the organisation's Domain Restricted Sharing policy
 * (FAILED_PRECONDITION, "... do not belong to a permitted customer"): say what it is and
 * name the field that makes the service public without an allUsers binding.
 */
function explainRestrictedSharing(err: unknown): unknown {
  const info = apiError(err);
  if (info.code !== GrpcCode.FAILED_PRECONDITION || !/permitted customer/.test(info.message)) return err;
  return new RunctlError(
    'InvalidValue',
    `spec.public: true was refused: ${info.message.trim()} The organisation enforces Domain Restricted Sharing ` +
      `(constraints/iam.allowedPolicyMemberDomains), which forbids IAM bindings for allUsers. To make the service public anyway, ` +
      `set spec.invokerIamCheck: false (Cloud Run then skips the invoker IAM check; no allUsers binding) and remove spec.public.`,
    { cause: err, source: 'user' },
  );
}

type ServiceObserved = Observed<RunService, Form>;

/**
 * What a Service plan decides beyond its field changes (`ResourcePlan.operations`), and
 * `apply` carries out as told:
 * - `redeploy`: the same template again as a new revision (the latest was refused for a
 *   reason outside the template);
 * - `rollout`: the new revision starts a canary rollout (no traffic, tag next);
 * - `resume-rollout`: drive the unfinished rollout recorded on the service;
 * - `end-rollout`: spec.rollout was removed, traffic returns to the latest revision.
 */
type Operation = 'redeploy' | 'rollout' | 'resume-rollout' | 'end-rollout';

function writeContext(m: Manifest<ServiceSpec>, ctx: PlanContext): WriteContext {
  return {
    serviceName: m.metadata.name,
    project: projectOf(m, ctx.target),
    volume: (name) => ctx.manifestOf(`Volume/${name}`)?.spec,
    connector: (ref) => connectorName(ref, ctx),
  };
}

/**
 * `VpcConnector/NAME` → the connector's full name, from where the set puts it (its
 * project and region); a full name stays as written.
 */
function connectorName(ref: string, ctx: PlanContext): string {
  if (!ref.startsWith('VpcConnector/')) return ref;
  const name = ref.slice('VpcConnector/'.length);
  const loc = locationOf(ref, ctx);
  return `projects/${loc.project ?? defaultProject(ctx.target) ?? 'local-project'}/locations/${loc.region}/connectors/${name}`;
}

/** A Service's vpc block: one way in, and a connector of the set in the Service's region. */
function vpcProblems(m: Manifest<ServiceSpec>, all: Manifest[]): Diagnostic[] {
  const v = m.spec?.vpc;
  if (!v) return [];
  const direct = v.network !== undefined || v.subnetwork !== undefined || v.networkTags !== undefined;
  if (v.connector && direct) return [{ code: 'InvalidValue', path: 'spec.vpc', message: 'takes either connector, or network/subnetwork (Direct VPC egress), not both' }];
  if (!v.connector && v.network === undefined && v.subnetwork === undefined) return [{ code: 'InvalidValue', path: 'spec.vpc', message: 'needs connector, or network and/or subnetwork (Direct VPC egress)' }];
  if (!v.connector?.startsWith('VpcConnector/')) return [];
  const c = all.find((x) => x.kind === 'VpcConnector' && x.metadata.name === v.connector!.slice('VpcConnector/'.length));
  const a = (m.spec as { region?: unknown }).region;
  const b = (c?.spec as { region?: unknown } | undefined)?.region;
  if (typeof a === 'string' && typeof b === 'string' && a !== b) {
    return [{ code: 'InvalidValue', path: 'spec.vpc.connector', message: `a Service uses only a connector of its own region: ${v.connector} is in ${b}, the Service in ${a}` }];
  }
  return [];
}

export function serviceStatus(svc: RunService): ResourceStatus {
  const traffic = servingTraffic(svc).map((t) => ({
    revision: t.revision || undefined,
    percent: t.percent,
    tag: t.tag || undefined,
    url: t.uri || undefined,
  }));
  return {
    fields: {
      url: svc.uri || undefined,
      urls: svc.urls ?? [],
      latestReadyRevision: shortName(svc.latestReadyRevision),
      latestCreatedRevision: shortName(svc.latestCreatedRevision),
      serviceAccount: svc.template?.serviceAccount || undefined,
      traffic,
      region: svc.name?.split('/')[3],
      generation: svc.generation,
      rollout: rolloutStatus(svc),
    },
    ready: readyOf(svc),
  };
}

/** The manifest with `ServiceAccount/NAME` in `serviceAccount` and `invokers` resolved to what the APIs take. */
function withMembers(m: Manifest<ServiceSpec>, ctx: PlanContext): Manifest<ServiceSpec> {
  if (m.spec.serviceAccount === undefined && m.spec.invokers === undefined) return m;
  const spec: ServiceSpec = { ...m.spec };
  if (spec.serviceAccount !== undefined) spec.serviceAccount = resolveAccount(spec.serviceAccount, ctx);
  if (spec.invokers !== undefined) spec.invokers = resolveMembers(spec.invokers, ctx);
  return { ...m, spec };
}

/** Whether the Service manages its invoker policy: declared, or others of the set need run.invoker on it. */
const declaresIam = (m: Manifest<ServiceSpec>, ctx: Pick<PlanContext, 'grantsOn'>) =>
  m.spec.public !== undefined || m.spec.invokers !== undefined || invokerGrants(m, ctx).length > 0;

function observedFrom(svc: RunService, iam?: IamView): ServiceObserved {
  return {
    exists: true,
    spec: readSpec(svc, iam),
    labels: { ...(svc.labels ?? {}) },
    etag: svc.etag ?? undefined,
    raw: svc,
    ...lastChange(svc),
    status: serviceStatus(svc),
  };
}

/**
 * Failure reasons whose cause lies outside the template (a policy, IAM, the platform), so
 * the same template may succeed later. A container that crashes (REVISION_FAILED) needs a
 * change and is not redeployed as is.
 */
const EXTERNAL_FAILURES = new Set<unknown>([
  'CONTAINER_IMAGE_UNAUTHORIZED', 'CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED', 'CONTAINER_PERMISSION_DENIED',
  'SECRETS_ACCESS_CHECK_FAILED', 'CONTAINER_MISSING', 'INTERNAL', 'IMMEDIATE_RETRY', 'POSTPONED_RETRY',
]);
const REDEPLOY_ANNOTATION = 'runctl.dev/redeployed-at';

/** The latest revision, when it failed for a reason outside the template (Binary Authorization, IAM). */
export function refusedRevision(svc: RunService | undefined): { revision: string; reason: string; message: string } | undefined {
  const tc = svc?.terminalCondition;
  if (!svc || tc?.state !== 'CONDITION_FAILED' || typeof tc.reason !== 'string' || !EXTERNAL_FAILURES.has(tc.reason)) return undefined;
  if (svc.latestCreatedRevision && svc.latestCreatedRevision === svc.latestReadyRevision) return undefined;
  return { revision: shortName(svc.latestCreatedRevision) ?? '(none)', reason: tc.reason, message: tc.message ?? '' };
}

/** Cloud Run's documented default split, in manifest form: everything on the latest ready revision. */
const DEFAULT_TRAFFIC: TrafficTarget[] = [{ latest: true, percent: 100 }];

/** Whether the manifest leaves traffic to the default (no spec.traffic, no rollout owning the split). */
const defaultsTraffic = (m: Manifest<ServiceSpec>) => m.spec.traffic === undefined && m.spec.rollout === undefined;

/**
 * A template change under the live revision's pinned name: Cloud Run refuses it with a
 * 409 ("Revision named ... with different configuration already exists", gcp-apis.md
 * §1.2), so it is refused at plan time, naming the field to change.
 */
function pinnedRevisionRefusal(desired: Form, observed: ServiceObserved, template: string[]): Refusal | undefined {
  const changed = template.filter((f) => f !== 'revision');
  if (changed.length && desired.revision && desired.revision === observed.spec?.revision) {
    return {
      path: 'spec.revision',
      reason: `the template changes (${changed.join(', ')}) but spec.revision still names the live revision "${desired.revision}", and Cloud Run refuses a changed template under an existing revision name; change spec.revision or remove it (then Cloud Run names each revision)`,
    };
  }
  // The name may also be an earlier revision's (a pin set back to an old name).
  const earlier = EARLIER_REVISION.get(observed);
  if (!earlier || earlier.name !== desired.revision) return undefined;
  const declared = Object.fromEntries(Object.entries(desired).filter(([k]) => TEMPLATE_FIELDS.has(k) && k !== 'revision'));
  const differs = [...new Set(diffDeclared(declared, earlier.spec, { exact: ['env'] }).changes.map((c) => c.path.split('.')[1]))];
  if (!differs.length) return undefined;
  return {
    path: 'spec.revision',
    reason: `spec.revision names "${desired.revision}", an earlier revision of this service with a different template (${differs.join(', ')}), and Cloud Run refuses a template under an existing revision name that it does not match; change spec.revision or remove it (then Cloud Run names each revision)`,
  };
}

/** An earlier revision that a manifest's pinned name already names, in manifest form (by observation). */
const EARLIER_REVISION = new WeakMap<ServiceObserved, { name: string; spec: Record<string, unknown> }>();

/**
 * When spec.revision pins a name other than the live template's, read that revision (one
 * read, only then): if it exists, its template must equal the manifest's.
 */
async function earlierPinnedRevision(m: Manifest<ServiceSpec>, id: Identity, svc: RunService, ctx: ObserveContext): Promise<{ name: string; spec: Record<string, unknown> } | undefined> {
  if (typeof m.spec.revision !== 'string' || !m.spec.revision || m.spec.revision.includes('${')) return undefined;
  const name = fullRevision(m.metadata.name, m.spec.revision);
  if (name === svc.template?.revision) return undefined;
  try {
    const [rev] = await ctx.clients.runRevisions().getRevision({ name: `${id.fullName}/revisions/${name}` });
    // A Revision carries the template's fields under the same names: read it as a template.
    return { name, spec: readSpec({ template: { ...(rev as RunService), revision: name } }) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * With spec.rollout, a rollout of the manifest's template that failed, was aborted or
 * undone leaves traffic on the old revision: the manifest's template is not serving,
 * and applying again does not retry it (that needs a new template or `rollout promote`).
 */
function notServing(m: Manifest<ServiceSpec>, live: RunService | undefined): string | undefined {
  if (m.spec.rollout === undefined || !live) return undefined;
  const rec = readRecord(live);
  if (!rec || activeRollout(live) || !['failed', 'aborted', 'undone'].includes(rec.phase)) return undefined;
  if (!rec.revision || rec.revision !== shortName(live.latestCreatedRevision)) return undefined;
  const serving = servingTraffic(live).find((t) => t.revision === rec.revision && t.percent > 0);
  if (serving) return undefined;
  return `not converged: the manifest's template (revision ${rec.revision}) serves no traffic since its rollout ${ended(rec.phase)}; applying again does not retry it`;
}

/** The operations a template change or an unfinished rollout calls for (see `Operation`). */
function rolloutOperations(m: Manifest<ServiceSpec>, live: RunService, templateChanged: boolean, rollout: RolloutPlan, ctx: PlanContext): Operation[] {
  const ops: Operation[] = [];
  if (templateChanged && rolloutConfig(m, ctx.manifestOf) && servingRevision(live)) ops.push('rollout');
  else if (templateChanged && !m.spec.rollout && readRecord(live) && m.spec.traffic === undefined) ops.push('end-rollout');
  if (rollout.resume) ops.push('resume-rollout');
  return ops;
}

export const serviceController: Controller<ServiceSpec, RunService, Form> = {
  kind: KIND,
  capabilities: { rollout: serviceRollout },
  schema: 'service.schema.json',
  regional: true,

  validate(m, all) {
    return [...resourceProblems(m.spec?.resources), ...validateRollout(m, all), ...vpcProblems(m, all)];
  },

  // roles/secretmanager.secretAccessor on each Secret of the set its env reads.
  grants: secretGrants,

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const region = regionOf(m, ctx.target);
    return { project, region, name: m.metadata.name, fullName: `projects/${project}/locations/${region}/services/${m.metadata.name}` };
  },

  async observe({ manifest: m, id }, ctx) {
    const svc = (await listServices(ctx, id.project, id.region!)).get(id.fullName);
    if (!svc) return { exists: false };
    const iam = declaresIam(m, ctx) ? (await readIam(ctx, id.fullName)).view : undefined;
    const observed = observedFrom(svc, iam);
    const earlier = await earlierPinnedRevision(m, id, svc, ctx);
    if (earlier) EARLIER_REVISION.set(observed, earlier);
    return observed;
  },

  desired({ manifest }, ctx) {
    const m = withMembers(manifest, ctx);
    const out = normalizeSpec(m.spec, writeContext(m, ctx));
    // Without spec.traffic the manifest asks for the documented default, so a split left
    // behind by an earlier release is a difference; with spec.rollout the rollout owns it.
    if (defaultsTraffic(m)) out.traffic = normalizeSpec({ traffic: DEFAULT_TRAFFIC }, writeContext(m, ctx)).traffic;
    // Invokers others of the set need (a Schedule's account) join the declared ones.
    const grants = invokerGrants(m, ctx);
    if (grants.length && m.spec.invokers !== undefined) out.invokers = withGranted(out.invokers as string[] | undefined, grants);
    return out;
  },

  plan({ manifest: m, desired: declared, observed }, ctx): ResourcePlan {
    const desired = { ...declared };
    // Granted invokers on a Service that does not declare its own join the live members.
    const grants = invokerGrants(m, ctx);
    const liveInvokers = observed.spec?.invokers as string[] | undefined;
    if (grants.length && m.spec.invokers === undefined) desired.invokers = withGranted(liveInvokers, grants);
    // A new service gets the default split from Cloud Run itself: not worth a plan line.
    if (!observed.exists && defaultsTraffic(m)) delete desired.traffic;
    if (!observed.exists) {
      const { changes } = diffDeclared(desired, {});
      return { action: 'create', changes, notes: ['creates the service and its first revision', ...grantNotes(grants, [])] };
    }
    // An unfinished rollout whose spec.rollout is gone keeps its split until `rollout promote` or `abort`.
    const live = observed.raw ?? {};
    if (defaultsTraffic(m) && activeRollout(live)) delete desired.traffic;
    const { changes } = diffDeclared(desired, observed.spec, { exact: ['env', 'traffic'] });
    const fields = new Set(changes.map((c) => c.path.split('.')[1]));
    const template = [...fields].filter((f) => TEMPLATE_FIELDS.has(f));
    const pinned = pinnedRevisionRefusal(desired, observed, template);
    if (pinned) return { action: 'update', changes, notes: [], refuse: pinned };
    const rollout = planRollout(m, live, template.length > 0, ctx.manifestOf);
    if (!changes.length) {
      const refused = refusedRevision(live);
      if (refused && !rollout.resume) {
        if (m.spec.revision) {
          return { action: 'noop', changes, notes: [`latest revision ${refused.revision} was refused (${refused.reason}); spec.revision pins its name, so give the redeploy a new revision name`] };
        }
        // Same template, new revision: a rollout starts only for a template change.
        return { action: 'update', changes, notes: [`redeploys: latest revision ${refused.revision} was refused (${refused.reason}: ${refused.message}); the same template is deployed again as a new revision`], operations: ['redeploy', ...rolloutOperations(m, live, true, rollout, ctx)] };
      }
      const operations = rolloutOperations(m, live, false, rollout, ctx);
      return { action: rollout.resume ? 'update' : 'noop', changes, notes: rollout.notes, unsettled: rollout.resume ? undefined : notServing(m, live), ...(operations.length ? { operations } : {}) };
    }
    const notes: string[] = fields.has('invokers') ? grantNotes(grants, liveInvokers) : [];
    if (template.length) notes.push(`creates a new revision (template fields changed: ${template.join(', ')})`);
    else notes.push('no new revision (only service-level, traffic or IAM settings change)');
    notes.push(...rollout.notes);
    // A refused latest revision is deployed anew with these changes too.
    const redeploy = !m.spec.revision && !!refusedRevision(live);
    const operations: Operation[] = [...(redeploy ? (['redeploy'] as const) : []), ...rolloutOperations(m, live, template.length > 0 || redeploy, rollout, ctx)];
    return { action: 'update', changes, notes, ...(operations.length ? { operations } : {}) };
  },

  async apply({ manifest, id, observed, plan }, ctx) {
    const m = withMembers(manifest, ctx);
    const wctx = writeContext(m, ctx);
    const client = ctx.clients.runServices();
    const ops = new Set(plan.operations ?? []);
    const changed = new Set(plan.changes.filter((c) => c.path.startsWith('spec.')).map((c) => c.path.split('.')[1]));
    const rollout = rolloutConfig(m, ctx.manifestOf);
    const target: RolloutTarget = { clients: ctx.clients, id, clock: clockFor(ctx.clients, ctx.target), signal: ctx.signal, progress: ctx.progress };
    let started = false;
    let svc: RunService;
    if (plan.action === 'create') {
      const body: RunService = stampClient({ labels: m.metadata.labels ?? {}, template: { containers: [{}] } });
      for (const [name, value] of Object.entries(m.spec)) {
        const f = FIELD_BY_NAME.get(name);
        if (f && f.scope !== 'iam') f.write(body, value, wctx);
      }
      if (!m.spec.port) FIELD_BY_NAME.get('port')!.write(body, 8080, wctx);
      ctx.progress('creating service');
      // One that appeared meanwhile is the executor's to judge (it re-reads and re-plans).
      const [op] = await client.createService({ parent: `projects/${id.project}/locations/${id.region}`, serviceId: id.name, service: body });
      svc = await waitForService(ctx, op, id.fullName, 'create');
    } else {
      if (!observed.raw) throw new RunctlError('Internal', `${KIND}/${id.name}: an ${plan.action} plan without the live service`);
      svc = observed.raw;
      const specChanged = [...changed].some((f) => FIELD_BY_NAME.get(f)?.scope !== 'iam');
      const labelsChanged = plan.changes.some((c) => c.path.startsWith('metadata.labels'));
      const redeploy = ops.has('redeploy');
      if (specChanged || labelsChanged || redeploy) {
        const body = stampClient(writable(svc));
        body.labels = { ...(svc.labels ?? {}), ...(m.metadata.labels ?? {}) };
        const templateChanges = [...changed].some((f) => TEMPLATE_FIELDS.has(f)) || redeploy;
        if (redeploy) {
          // An identical template makes no new revision: mark this deployment.
          const t = revisionTemplate(body);
          t.annotations = { ...(t.annotations ?? {}), [REDEPLOY_ANNOTATION]: new Date().toISOString() };
        }
        // Echoing the live revision name with a changed template is a 409 (gcp-apis.md §1.2).
        if (templateChanges && !changed.has('revision')) revisionTemplate(body).revision = m.spec.revision ? revisionTemplate(body).revision : '';
        const declared = new Map<string, ServiceSpec[keyof ServiceSpec]>(Object.entries(m.spec));
        for (const f of changed) {
          const spec = FIELD_BY_NAME.get(f);
          const value = f === 'traffic' && defaultsTraffic(m) ? DEFAULT_TRAFFIC : declared.get(f);
          if (spec && spec.scope !== 'iam') spec.write(body, value, wctx);
        }
        if (ops.has('rollout') && rollout) started = !!beginRollout(body, svc, rollout, await target.clock.now());
        else if (ops.has('end-rollout')) {
          // spec.rollout was removed: the split a past rollout pinned gives way to the latest revision.
          body.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
          delete body.annotations?.[ROLLOUT_ANNOTATION];
        }
        ctx.progress(started ? 'updating service (new revision with no traffic, tag next)' : templateChanges ? 'updating service (new revision)' : 'updating service');
        const [op] = await client.updateService({ service: body });
        try {
          svc = await waitForService(ctx, op, id.fullName, 'update');
        } catch (err) {
          // The new revision failed: the driver records the failed rollout (traffic never moved).
          if (started && rollout) await driveRollout(target, rollout);
          throw err;
        }
      }
    }
    let iam: IamView | undefined;
    if (declaresIam(m, ctx)) {
      const current = await readIam(ctx, id.fullName);
      iam = current.view;
      const wantPublic = m.spec.public === undefined ? current.view.public : !!m.spec.public;
      const wantInvokers = withGranted(m.spec.invokers === undefined ? current.view.invokers : m.spec.invokers, invokerGrants(m, ctx));
      // Written only when planned (on a create, every declared field is a change).
      const planned = changed.has('public') || changed.has('invokers');
      if (planned && (wantPublic !== current.view.public || wantInvokers.join(',') !== current.view.invokers.join(','))) {
        ctx.progress('setting invoker IAM policy');
        const policy = withInvokers(current.policy, { public: wantPublic, invokers: wantInvokers }, current.view);
        const [updated] = await client.setIamPolicy({ resource: id.fullName, policy }).catch((err: unknown) => {
          throw wantPublic ? explainRestrictedSharing(err) : err;
        });
        iam = iamView(updated);
      }
    }
    if (rollout && (started || ops.has('resume-rollout'))) svc = await driveRollout(target, rollout);
    return observedFrom(svc, iam);
  },

  async delete({ id, observed }, ctx) {
    ctx.progress('deleting service');
    await deleteService(ctx, id.fullName, observed.etag);
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    return liveServices(ctx, scopes, KIND, (svc, scope) => ({ spec: { ...readSpec(svc), region: scope.region }, status: serviceStatus(svc) }));
  },

  async exportSpec(r, ctx, opts) {
    // IAM is not part of the listing (one read per service): read it for the one being printed.
    const { view } = await readIam(ctx, r.identity.fullName);
    const { region, ...spec } = r.spec;
    const svc = (await listServices(ctx, r.identity.project, r.identity.region!)).get(r.identity.fullName);
    const exported = withReferences(withoutImplied(withoutServerDefaults({ ...spec, public: view.public, invokers: view.invokers }), svc), r.identity.project, opts, svc);
    return {
      spec: { region, ...exported },
      ...(svc ? { unexpressed: unexpressed(svc), related: impliedVolumes(svc) } : {}),
    };
  },
};
