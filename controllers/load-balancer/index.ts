/**
 * LoadBalancer: a global external Application Load Balancer in front of Cloud Run
 * services. One manifest owns the whole chain — a serverless NEG and a backend service
 * per Service, the URL map, a managed certificate, the target proxies (plus an HTTP→HTTPS
 * redirect map), a global address and the forwarding rules — each sub-resource a line of
 * the plan. Names derive from the manifest's name (`names.ts`), planning is a diff of
 * sub-resource views (`model.ts`, `steps.ts`), and apply runs the steps (`execute.ts`).
 */
import type { Controller, Identity, LiveResource, Observed, ObserveContext, PlanContext, ResourcePlan, ResourceStatus } from '../../src/engine/controller';
import type { LoadBalancerSpec } from '../generated/manifests';
import { diffDeclared } from '../../src/engine/diff';
import { locationOf, projectOf } from '../../src/engine/location';
import { RunctlError, type Manifest } from '../../src/engine/types';
import { digest } from '../shared/digest';
import { StepRunner } from './execute';
import { desiredModel, type LiveModel, type LiveSub, type ModelInput } from './model';
import { LABELLED, lbNames, markerOf, SUB_KINDS } from './names';
import { listed, scanLive, subKey } from './observe';
import { normalizeLbSpec, specFromLive, type LbSpec } from './spec';
import { planSteps, toSubChange, type Step } from './steps';
import { publicNotes, validateLoadBalancer } from './validate';

const KIND = 'LoadBalancer';

/** A backing Service's region: its manifest's, else its observed one, else the default. */
const serviceRegion = (ctx: PlanContext, service: string): string => locationOf(`Service/${service}`, ctx).region;

function modelInput(m: Manifest<LoadBalancerSpec>, project: string, ctx: PlanContext): ModelInput {
  return { project, lb: m.metadata.name, set: ctx.set, labels: m.metadata.labels ?? {}, regionOf: (s) => serviceRegion(ctx, s) };
}

/** What the spec wants, or nothing when there is no spec to speak of (a pruned resource). */
function wantsOf(spec: LoadBalancerSpec | undefined, input: ModelInput) {
  if (!spec?.defaultService) return [];
  return desiredModel(normalizeLbSpec(spec), input);
}

async function scan(m: Manifest<LoadBalancerSpec>, project: string, ctx: ObserveContext, fresh: boolean): Promise<LiveModel> {
  const input = modelInput(m, project, ctx);
  const wants = wantsOf(m.spec, input);
  return scanLive(ctx, {
    project,
    lb: m.metadata.name,
    set: ctx.set,
    wanted: new Set(wants.map((w) => subKey(w.kind, w.name, w.region))),
    regions: [...new Set(wants.filter((w) => w.region).map((w) => w.region!))],
    fresh,
  });
}

const findOwned = (live: LiveModel, kind: LiveSub['kind'], name: string) => live.subs.find((s) => s.owned && s.kind === kind && s.name === name)?.raw;

/** IP, URLs and certificate state. */
export function lbStatus(live: LiveModel, lb: string): ResourceStatus {
  const n = lbNames(lb);
  const httpsRule = findOwned(live, 'forwardingRule', n.httpsRule);
  const httpRule = findOwned(live, 'forwardingRule', n.httpRule);
  const ip: string | undefined = findOwned(live, 'address', n.ip)?.address || httpsRule?.IPAddress || httpRule?.IPAddress || undefined;
  const certificates: Record<string, string> = {};
  const proxy = findOwned(live, 'targetHttpsProxy', n.httpsProxy);
  for (const link of (proxy?.sslCertificates ?? []) as string[]) {
    const managed = live.subs.find((s) => s.kind === 'sslCertificate' && s.name === link.split('/').pop())?.raw.managed;
    for (const d of managed?.domains ?? []) certificates[d] = managed?.domainStatus?.[d] ?? managed?.status ?? 'PROVISIONING';
  }
  const domains = Object.keys(certificates).sort();
  const urls = httpsRule && domains.length ? domains.map((d) => `https://${d}/`) : httpRule && ip ? [`http://${ip}/`] : [];
  let ready: ResourceStatus['ready'];
  if (!httpsRule && !httpRule) ready = { status: 'Unknown', reason: 'Creating', message: 'no forwarding rule yet' };
  else {
    const pending = domains.filter((d) => certificates[d] !== 'ACTIVE');
    ready = { status: 'True', reason: 'Available', message: pending.length ? `certificate provisioning for ${pending.join(', ')}: DNS must point at ${ip}` : undefined };
  }
  return { fields: { ip, url: urls[0], urls, certificates: domains.length ? certificates : undefined }, ready };
}

/** Labels that stand for the whole load balancer: a foreign sub-resource's (so the engine refuses), else the forwarding rules'. */
function labelsOf(live: LiveModel, set: string): Record<string, string> {
  const foreign = live.subs.find((s) => !s.owned);
  if (foreign) {
    const m = markerOf(foreign.raw);
    return m.managedBy ? { 'managed-by': m.managedBy, 'runctl-set': m.set ?? '' } : {};
  }
  const labelled = live.subs.find((s) => LABELLED.has(s.kind) && s.raw.labels && Object.keys(s.raw.labels).length);
  return { ...(labelled?.raw.labels ?? {}), 'managed-by': 'runctl', 'runctl-set': set };
}

type LbObserved = Observed<LiveModel, LbSpec>;

function observedFrom(live: LiveModel, lb: string, set: string): LbObserved {
  if (!live.subs.length) return { exists: false, raw: live };
  const tokens = live.subs
    .map((s) => `${subKey(s.kind, s.name, s.region)}=${s.raw.fingerprint ?? s.raw.id}/${s.raw.labelFingerprint ?? ''}/${s.owned}`)
    .sort();
  return {
    exists: true,
    spec: specFromLive(live, lb),
    labels: labelsOf(live, set),
    etag: digest(tokens.join('\n'), 16),
    raw: live,
    status: lbStatus(live, lb),
  };
}

/** A step that cannot be carried out (a NEG or certificate that would have to change in place). */
function refusal(steps: Step[]): ResourcePlan['refuse'] {
  for (const step of steps) {
    for (const op of step.ops) if (op.op === 'refuse') return { path: 'spec', reason: op.message, code: 'Refused' };
  }
  return undefined;
}

/**
 * The steps `apply` makes: the plan's own sub-resource lines, in their order. The steps
 * are computed again from the same desired and live state the plan was made from (their
 * request bodies are not part of the plan); one that differs from the plan's line means
 * apply was handed another plan than its inputs give, and nothing is written.
 */
function plannedSteps(lb: string, steps: Step[], plan: ResourcePlan): Step[] {
  const lines = plan.children ?? [];
  const same = lines.length === steps.length && steps.every((s, i) => lines[i].name === toSubChange(s).name && lines[i].action === s.action);
  if (!same) throw new RunctlError('Internal', `${KIND}/${lb}: the plan's sub-resource lines do not match its desired and live state; nothing was written: plan again`);
  return steps.filter((s) => s.action !== 'noop');
}

export const loadBalancerController: Controller<LoadBalancerSpec, LiveModel, LbSpec> = {
  kind: KIND,
  schema: 'load-balancer.schema.json',
  regional: false,

  validate: validateLoadBalancer,

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    return { project, name: m.metadata.name, fullName: `projects/${project}/global/urlMaps/${lbNames(m.metadata.name).urlMap}` };
  },

  async observe({ manifest: m, id }, ctx) {
    return observedFrom(await scan(m, id.project, ctx, false), m.metadata.name, ctx.set);
  },

  desired({ manifest: m }) {
    return normalizeLbSpec(m.spec);
  },

  plan({ manifest: m, id, desired, observed }, ctx): ResourcePlan {
    const wants = desiredModel(desired, modelInput(m, id.project, ctx));
    const live: LiveModel = observed.raw ?? { subs: [] };
    const steps = planSteps(wants, live, { lb: m.metadata.name, ip: typeof observed.status?.fields.ip === 'string' ? observed.status.fields.ip : undefined });
    const children = steps.map(toSubChange);
    const notes = publicNotes(desired, ctx.manifestOf);
    const refuse = refusal(steps);
    if (!observed.exists) {
      notes.unshift(`creates ${steps.length} sub-resources in order: NEG → backend service → URL map → certificate → proxy → address → forwarding rule`);
      return { action: 'create', changes: diffDeclared(desired, {}).changes, notes, children };
    }
    if (steps.every((s) => s.action === 'noop')) return { action: 'noop', changes: [], notes: [], children };
    return { action: 'update', changes: diffDeclared(desired, observed.spec).changes, notes, children, ...(refuse ? { refuse } : {}) };
  },

  async apply({ manifest: m, id, desired, observed, plan }, ctx) {
    const wants = desiredModel(desired, modelInput(m, id.project, ctx));
    const live: LiveModel = observed.raw ?? { subs: [] };
    const steps = plannedSteps(m.metadata.name, planSteps(wants, live, { lb: m.metadata.name }), plan);
    const runner = new StepRunner(ctx, id.project, live, m.metadata.name);
    await runner.run(steps);
    const after = observedFrom(await scan(m, id.project, ctx, true), m.metadata.name, ctx.set);
    // Every sub-resource appeared, as wanted, while we were making it: not ours to claim.
    return runner.tally.own === 0 && runner.tally.concurrent > 0 ? { ...after, writtenByOthers: true } : after;
  },

  async delete({ manifest: m, id }, ctx) {
    const live = await scan(m, id.project, ctx, true);
    const steps = planSteps([], live, { lb: m.metadata.name });
    await new StepRunner(ctx, id.project, live, m.metadata.name).run(steps);
  },

  async list(scopes, ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of [...new Set(scopes.map((s) => s.project))].sort()) {
      const owners = new Map<string, string>();
      for (const kind of SUB_KINDS.filter((k) => k !== 'networkEndpointGroup')) {
        for (const raw of await listed(ctx, kind, project, undefined, false)) {
          const mk = markerOf(raw);
          if (mk.managedBy === 'runctl' && mk.lb && mk.set) owners.set(`${mk.set}\u0000${mk.lb}`, mk.lb);
        }
      }
      for (const [key, lb] of [...owners].sort()) {
        const set = key.split('\u0000')[0];
        const live = await scanLive({ ...ctx, set }, { project, lb, set, wanted: new Set(), regions: [] });
        const o = observedFrom(live, lb, set);
        if (!o.exists) continue;
        out.push({ kind: KIND, name: lb, identity: { project, name: lb, fullName: `projects/${project}/global/urlMaps/${lbNames(lb).urlMap}` }, labels: o.labels ?? {}, spec: o.spec ?? {}, status: o.status, etag: o.etag });
      }
    }
    return out;
  },
};
