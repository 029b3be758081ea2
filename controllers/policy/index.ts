/**
 * Policy: the project's singleton Binary Authorization policy (v1 REST, through
 * `Clients.rest`). The manifest is the whole policy: `defaultRule` and `allowlist`;
 * a PUT replaces everything, with the etag read while planning (a stale etag is a
 * conflict: the engine re-reads and re-plans). The policy has no labels, so ownership
 * is written into its `description`. Deleting resets the project to the default policy.
 */
import type { Controller, Identity, LiveResource, Observed, ObserveContext, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import type { PolicySpec } from '../generated/manifests';
import { diffDeclared } from '../../src/engine/diff';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE, RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { isConflict, isNotFound } from '../../src/gcp/errors';
import {
  BINAUTHZ_ROOT,
  defaultPolicyBody,
  isDefaultPolicy,
  labelsFromDescription,
  policyBody,
  policyForm,
  readPolicy,
  type ApiPolicy,
  type PolicyForm,
} from './binauthz-policy';
import { projectOf } from '../../src/engine/location';

const KIND = 'Policy';
const NAME = 'default';

interface Raw {
  policy: ApiPolicy;
  /** Attestors named by the live or desired rule that GET answered 404 for. */
  missingAttestors: string[];
}

const policyPath = (project: string) => `/v1/projects/${project}/policy`;

async function readLive(ctx: ObserveContext, project: string): Promise<ApiPolicy> {
  return ctx.cached(`binauthz.policy:${project}`, () => ctx.clients.rest<ApiPolicy>(BINAUTHZ_ROOT, { method: 'GET', path: policyPath(project) }));
}

/** Attestors that do not exist (each looked up once per run). */
async function missingAttestors(ctx: ObserveContext, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const found = await ctx.cached(`binauthz.attestor:${name}`, async () => {
      try {
        await ctx.clients.rest(BINAUTHZ_ROOT, { method: 'GET', path: `/v1/${name}` });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
    if (!found) missing.push(name);
  }
  return missing;
}

function status(p: ApiPolicy, project: string): ResourceStatus {
  const rule = p.defaultAdmissionRule ?? {};
  return {
    fields: { name: p.name ?? `projects/${project}/policy`, mode: rule.evaluationMode ?? 'ALWAYS_ALLOW', enforcementMode: rule.enforcementMode },
    ready: { status: 'True', reason: 'Available' },
  };
}

function observed(p: ApiPolicy, project: string, missing: string[] = []): Observed<Raw, PolicyForm> {
  const raw: Raw = { policy: p, missingAttestors: missing };
  // The untouched default policy counts as "no policy yet": the first apply creates one.
  if (isDefaultPolicy(p)) return { exists: false, raw, etag: p.etag };
  return { exists: true, spec: readPolicy(p), labels: labelsFromDescription(p.description), etag: p.etag, raw, status: status(p, project) };
}

export const policyController: Controller<PolicySpec, Raw, PolicyForm> = {
  kind: KIND,
  schema: 'policy.schema.json',
  regional: false,

  validate(m: Manifest<PolicySpec>): Diagnostic[] {
    if (m.metadata.name === NAME) return [];
    return [{ code: 'InvalidValue', path: 'metadata.name', message: `a project has exactly one Binary Authorization policy: name it "${NAME}" (got "${m.metadata.name}")` }];
  },

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    return { project, name: NAME, fullName: `projects/${project}/policy` };
  },

  async observe({ manifest: m, id }, ctx) {
    const p = await readLive(ctx, id.project);
    const named = new Set<string>([...(m.spec.defaultRule?.requireAttestationsBy ?? []), ...(p.defaultAdmissionRule?.requireAttestationsBy ?? [])]);
    return observed(p, id.project, await missingAttestors(ctx, [...named].sort()));
  },

  desired({ manifest: m }) {
    return policyForm(m.spec);
  },

  plan({ desired, observed: obs }): ResourcePlan {
    const notes: string[] = [];
    const missing = (obs.raw?.missingAttestors ?? []).filter((a) => (desired.defaultRule.requireAttestationsBy ?? []).includes(a));
    for (const a of missing) {
      const hint = a.endsWith('/built-by-cloud-build') ? ' (Cloud Build creates it the first time it builds in that project)' : '';
      notes.push(`attestor ${a} does not exist yet${hint}`);
    }
    if (desired.defaultRule.evaluationMode === 'REQUIRE_ATTESTATION' && desired.defaultRule.enforcementMode !== 'DRYRUN_AUDIT_LOG_ONLY') {
      notes.push('new revisions of services with binaryAuthorization: default need an attestation unless their image is on the allowlist');
    }
    if (!obs.exists) {
      const { changes } = diffDeclared(desired, {});
      return { action: 'create', changes, notes: ['replaces the project\'s default policy (allow every image)', ...notes] };
    }
    // The whole policy is declared: attestors present live but not in the manifest show as removed.
    const { changes } = diffDeclared(desired, obs.spec, { exact: ['defaultRule'] });
    return { action: changes.length ? 'update' : 'noop', changes, notes: changes.length ? notes : [] };
  },

  async apply({ manifest: m, id, desired, observed: obs, plan }, ctx) {
    // A singleton replaced whole: "create" replaces the default policy, "update" the
    // managed one; both are one PUT of the planned form with the etag read when planned.
    if (plan.action !== 'create' && plan.action !== 'update') throw new RunctlError('Internal', `${KIND}/${NAME}: cannot carry out a ${plan.action} plan`);
    const live = obs.raw?.policy;
    const body = policyBody(live, desired, m.metadata.labels ?? {});
    if (live?.etag) body.etag = live.etag;
    ctx.progress('updating the Binary Authorization policy');
    try {
      const updated = await ctx.clients.rest<ApiPolicy>(BINAUTHZ_ROOT, { method: 'PUT', path: policyPath(id.project), body });
      return observed(updated, id.project);
    } catch (err) {
      // Someone changed the policy since it was read: re-read and re-plan.
      if (isConflict(err)) throw new RunctlError('Conflict', `${KIND}/${NAME}: the policy changed since it was read`, { cause: err });
      throw err;
    }
  },

  async delete({ id, observed: obs }, ctx) {
    const labels = obs.labels ?? {};
    if (obs.exists && labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
      throw new RunctlError('NotOwned', `${KIND}/${NAME}: the policy of ${id.project} is not managed by runctl; it is left as it is`);
    }
    ctx.progress('resetting the Binary Authorization policy to the default (allow every image)');
    const etag = obs.raw?.policy.etag ?? obs.etag;
    try {
      await ctx.clients.rest(BINAUTHZ_ROOT, { method: 'PUT', path: policyPath(id.project), body: defaultPolicyBody(etag) });
    } catch (err) {
      if (isConflict(err)) throw new RunctlError('Conflict', `${KIND}/${NAME}: the policy changed since it was read`, { cause: err });
      throw err;
    }
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of new Set(scopes.map((s) => s.project))) {
      const p = await readLive(ctx, project);
      const o = observed(p, project);
      if (!o.exists) continue;
      out.push({
        kind: KIND,
        name: NAME,
        identity: { project, name: NAME, fullName: `projects/${project}/policy` },
        labels: o.labels ?? {},
        spec: o.spec ?? {},
        status: o.status,
        etag: o.etag,
      });
    }
    return out;
  },
};

