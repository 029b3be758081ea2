/**
 * LoadBalancer: a global external Application Load Balancer in front of Cloud Run
 * services. One manifest owns the whole chain — a serverless NEG and a backend service
 * per Service, the URL map, a managed certificate, the target proxies (plus an HTTP→HTTPS
 * redirect map), a global address and the forwarding rules — each sub-resource a line of
 * the plan. Names derive from the manifest's name (`names.ts`), planning is a diff of
 * sub-resource views (`model.ts`, `steps.ts`), and apply runs the steps (`execute.ts`).
 */
import type { Controller, ExportedSpec, Identity, LiveResource, Observed, ObserveContext, PlanContext, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import type { LoadBalancerSpec } from '../generated/manifests';
import { diffDeclared } from '../../src/engine/diff';
import { locationOf, projectOf } from '../../src/engine/location';
import { RunctlError, type Manifest } from '../../src/engine/types';
import { digest } from '../shared/digest';
import { StepRunner } from './execute';
import { desiredModel, type LiveModel, type LiveSub, type ModelInput } from './model';
import { LABELLED, markerOf, partNames, SUB_KINDS, type PartNames } from './names';
import { listed, scanLive, subKey } from './observe';
import { foreignChains } from './foreign';
import { lbStatusOf } from './status';
import { normalizeLbSpec, partsFromLive, specFromLive, type LbSpec } from './spec';
import { planSteps, toSubChange, type Step } from './steps';
import { publicNotes, validateLoadBalancer } from './validate';

const KIND = 'LoadBalancer';

/** A backing Service's region: its manifest's, else its observed one, else the default. */
const serviceRegion = (ctx: PlanContext, service: string): string => locationOf(`Service/${service}`, ctx).region;

/** What the model needs beside the spec; with the live model, the domains of the certificates found. */
function modelInput(m: Manifest<LoadBalancerSpec>, project: string, ctx: PlanContext, live?: LiveModel): ModelInput {
  const certDomains = (name: string) => {
    const cert = live?.subs.find((s) => s.kind === 'sslCertificate' && s.name === name);
    return cert ? (cert.raw.managed?.domains ?? []).map((d) => d.replace(/\.$/, '')).sort() : undefined;
  };
  return { project, lb: m.metadata.name, set: ctx.set, labels: m.metadata.labels ?? {}, regionOf: (s) => serviceRegion(ctx, s), parts: m.spec?.parts, certDomains };
}

/** The names of the manifest's parts (`spec.parts`, else runctl's scheme). */
const namesOf = (m: Manifest<LoadBalancerSpec>): PartNames => partNames(m.metadata.name, m.spec?.parts);

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

/**
 * Labels that stand for the whole load balancer: the labelled parts' (address, forwarding
 * rules), and ownership as a foreign part's marker says (so the engine refuses, or sees an
 * unowned chain that may match its manifest), else runctl's.
 */
function labelsOf(live: LiveModel, set: string): Record<string, string> {
  const labelled = live.subs.find((s) => LABELLED.has(s.kind) && s.raw.labels && Object.keys(s.raw.labels).length);
  const foreign = live.subs.find((s) => !s.owned);
  if (foreign) {
    const m = markerOf(foreign.raw);
    // A person's labels only: runctl's marks on an owned part say nothing of the foreign one.
    const user = Object.fromEntries(Object.entries(labelled?.raw.labels ?? {}).filter(([k]) => k !== 'managed-by' && !k.startsWith('runctl-')));
    return { ...user, ...(m.managedBy ? { 'managed-by': m.managedBy, 'runctl-set': m.set ?? '' } : {}) };
  }
  return { ...(labelled?.raw.labels ?? {}), 'managed-by': 'runctl', 'runctl-set': set };
}

type LbObserved = Observed<LiveModel, LbSpec>;

function observedFrom(live: LiveModel, lb: string, set: string, parts: LoadBalancerSpec['parts']): LbObserved {
  if (!live.subs.length) return { exists: false, raw: live };
  const tokens = live.subs
    .map((s) => `${subKey(s.kind, s.name, s.region)}=${s.raw.fingerprint ?? s.raw.id}/${s.raw.labelFingerprint ?? ''}/${s.owned}`)
    .sort();
  return {
    exists: true,
    spec: specFromLive(live, lb, parts),
    labels: labelsOf(live, set),
    etag: digest(tokens.join('\n'), 16),
    raw: live,
    status: lbStatusOf(live, partNames(lb, parts)),
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
    return { project, name: m.metadata.name, fullName: `projects/${project}/global/urlMaps/${namesOf(m).urlMap}` };
  },

  async observe({ manifest: m, id }, ctx) {
    return observedFrom(await scan(m, id.project, ctx, false), m.metadata.name, ctx.set, m.spec?.parts);
  },

  desired({ manifest: m }) {
    return normalizeLbSpec(m.spec);
  },

  plan({ manifest: m, id, desired, observed }, ctx): ResourcePlan {
    const live: LiveModel = observed.raw ?? { subs: [] };
    const wants = desiredModel(desired, modelInput(m, id.project, ctx, live));
    const steps = planSteps(wants, live, { lb: m.metadata.name, names: namesOf(m), ip: typeof observed.status?.fields.ip === 'string' ? observed.status.fields.ip : undefined });
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
    const live: LiveModel = observed.raw ?? { subs: [] };
    const wants = desiredModel(desired, modelInput(m, id.project, ctx, live));
    const steps = plannedSteps(m.metadata.name, planSteps(wants, live, { lb: m.metadata.name, names: namesOf(m) }), plan);
    const runner = new StepRunner(ctx, id.project, live, m.metadata.name, namesOf(m));
    await runner.run(steps);
    const after = observedFrom(await scan(m, id.project, ctx, true), m.metadata.name, ctx.set, m.spec?.parts);
    // Every sub-resource appeared, as wanted, while we were making it: not ours to claim.
    return runner.tally.own === 0 && runner.tally.concurrent > 0 ? { ...after, writtenByOthers: true } : after;
  },

  async delete({ manifest: m, id }, ctx) {
    const live = await scan(m, id.project, ctx, true);
    const steps = planSteps([], live, { lb: m.metadata.name, names: namesOf(m) });
    await new StepRunner(ctx, id.project, live, m.metadata.name, namesOf(m)).run(steps);
  },

  /**
   * Load balancers runctl marked (found by their markers, their parts' names read back
   * into `spec.parts` where they are not runctl's own), and those made outside runctl,
   * recognised from their parts (`recognise.ts`).
   */
  async list(scopes, ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of projectsOf(scopes)) {
      const owners = new Map<string, string>();
      for (const kind of SUB_KINDS.filter((k) => k !== 'networkEndpointGroup')) {
        for (const raw of await listed(ctx, kind, project, undefined, false)) {
          const mk = markerOf(raw);
          if (mk.managedBy === 'runctl' && mk.lb && mk.set) owners.set(`${mk.set}\u0000${mk.lb}`, mk.lb);
        }
      }
      for (const [key, lb] of [...owners].sort()) {
        const set = key.split('\u0000')[0];
        const live = await scanLive({ ...ctx, set }, { project, lb, set, wanted: new Set(), regions: [], claimUsed: true });
        const o = observedFrom(live, lb, set, partsFromLive(live, lb));
        if (!o.exists || !o.spec) continue;
        out.push({ kind: KIND, name: lb, identity: identityOf(project, lb, o.spec), labels: o.labels ?? {}, spec: o.spec, status: o.status, etag: o.etag });
      }
      const { chains } = await foreignChains(ctx, project, new Set(owners.values()));
      for (const c of chains) {
        out.push({ kind: KIND, name: c.name, identity: identityOf(project, c.name, c.spec), labels: c.labels, spec: c.spec, status: c.status, etag: digest(c.tokens.join('\n'), 16) });
      }
    }
    return out;
  },

  /**
   * The listed spec as it is, with the Services it routes to (`related`, so `export
   * loadbalancers` brings them: a LoadBalancer names Services of its set), and for one
   * made outside runctl what its manifest cannot express.
   */
  async exportSpec(r, ctx): Promise<ExportedSpec> {
    const spec = r.spec as LbSpec;
    const services = [...new Set([spec.defaultService, ...(spec.routes ?? []).map((x) => x.service)])].sort();
    // Listed only: a routed Service that does not run is named in the comment, not made up as an empty manifest.
    const related = services.map((name) => ({ kind: 'Service', name, spec: {}, listedOnly: true }));
    const owned = r.labels['managed-by'] === 'runctl';
    // Found again by its URL map: its name may have been made apart from a runctl load balancer's.
    const chain = owned ? undefined : (await foreignChains(ctx, r.identity.project, new Set())).chains.find((c) => identityOf(r.identity.project, c.name, c.spec).fullName === r.identity.fullName);
    // false is the default of both switches: a person leaves them out.
    const { httpsRedirect, staticIp, ...rest } = spec;
    const out = { ...rest, ...(httpsRedirect ? { httpsRedirect } : {}), ...(staticIp ? { staticIp } : {}) };
    return { spec: out, related, unexpressed: chain?.unexpressed ?? [] };
  },

  async unexportable(scopes, ctx): Promise<string[]> {
    const out: string[] = [];
    for (const project of projectsOf(scopes)) {
      for (const p of (await foreignChains(ctx, project, new Set())).problems) out.push(`${KIND} with urlMap ${p.urlMap} (project ${project}): ${p.reason}`);
    }
    return out;
  },
};

const projectsOf = (scopes: Scope[]) => [...new Set(scopes.map((s) => s.project))].sort();

function identityOf(project: string, lb: string, spec: LbSpec): Identity {
  return { project, name: lb, fullName: `projects/${project}/global/urlMaps/${partNames(lb, spec.parts).urlMap}` };
}
