/**
 * ServiceAccount: an IAM service account (`@googleapis/iam` v1) and the project roles
 * granted to it (Resource Manager v3 project IAM policy). `metadata.name` is the account
 * ID; `status.email` is what others resolve `ServiceAccount/NAME` to.
 *
 * IAM rules runctl follows on the project policy: only unconditional bindings whose
 * member is this account are touched; a role is revoked only if runctl's record (kept in
 * the account's description, `ownership.ts`) says runctl granted it, so a role granted by
 * someone else stays (the plan says so); writes are read-modify-write with the policy's
 * etag, and a concurrent change elsewhere in the policy is re-read and kept
 * (`project-policy.ts`).
 */
import { createHash } from 'node:crypto';
import type { iam_v1 } from '@googleapis/iam';
import type { ApplyContext, Controller, FieldChange, Form, Identity, LiveResource, Observed, ObserveContext, PlanContext, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { projectOf } from '../../src/engine/location';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/engine/ownership';
import { RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { ignoringNotFound, isNotFound } from '../../src/gcp/errors';
import type { ServiceAccountSpec } from '../generated/manifests';
import { serviceAccountEmail } from '../shared/members';
import { DESCRIPTION_LIMIT, readDescription, writeDescription, type DescriptionRecord } from './ownership';
import { memberRoles, readProjectPolicy, updateMemberRoles, type IamPolicy } from './project-policy';

const KIND = 'ServiceAccount';

type Account = iam_v1.Schema$ServiceAccount;

/** The compared form: what the manifest declares. `roles` are this account's project roles runctl manages. */
type AccountForm = Form & { displayName?: string; description?: string; roles?: string[] };

interface Raw {
  account?: Account;
  policy?: IamPolicy;
  record: DescriptionRecord;
  /** Every role the account holds on its project (unconditional bindings). */
  held: string[];
}

type AccountObserved = Observed<Raw, AccountForm>;

const sorted = (roles: readonly string[] | undefined) => [...new Set(roles ?? [])].sort();
const member = (email: string) => `serviceAccount:${email}`;
const emailOf = (id: Identity) => serviceAccountEmail(id.name, id.project);

/** Every user-managed account of a project (one list per run and project). */
function listAccounts(ctx: ObserveContext, project: string): Promise<Map<string, Account>> {
  return ctx.cached(`iam.serviceAccounts:${project}`, async () => {
    const out = new Map<string, Account>();
    let pageToken: string | undefined;
    do {
      const { data } = await ctx.clients.iamServiceAccounts().list({ name: `projects/${project}`, pageSize: 100, pageToken });
      for (const a of data.accounts ?? []) if (a.email) out.set(a.email, a);
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  });
}

/** One account by its name; undefined when it is gone. */
async function getAccount(ctx: ObserveContext, id: Identity): Promise<Account | undefined> {
  try {
    return (await ctx.clients.iamServiceAccounts().get({ name: id.fullName })).data;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function status(a: Account, granted: string[]): ResourceStatus {
  return {
    fields: { email: a.email, uniqueId: a.uniqueId, member: a.email ? member(a.email) : undefined, ...(granted.length ? { grantedRoles: granted } : {}) },
    ready: a.disabled ? { status: 'False', reason: 'Unavailable', message: 'the account is disabled' } : { status: 'True', reason: 'Available' },
  };
}

/** A stable token for saved plans: changes when the account or its roles change, not when others' bindings do. */
function etagOf(a: Account, held: string[], granted: string[]): string {
  return createHash('sha256').update(JSON.stringify([a.displayName ?? '', a.description ?? '', a.disabled ?? false, held, granted])).digest('base64url').slice(0, 16);
}

/**
 * The observation. `declared` are the manifest's roles: the form shows the roles the
 * account holds that runctl manages — granted by runctl, or declared — so a role someone
 * else granted and the manifest does not name is no difference (it is left alone).
 */
function observedFrom(a: Account | undefined, policy: IamPolicy | undefined, email: string, declared: readonly string[] | undefined): AccountObserved {
  const held = memberRoles(policy, member(email));
  if (!a) return { exists: false, raw: { policy, record: { labels: {}, granted: [] }, held } };
  const record = readDescription(a.description);
  const managed = new Set([...record.granted, ...(declared ?? held)]);
  const roles = held.filter((r) => managed.has(r));
  const spec: AccountForm = {
    ...(a.displayName ? { displayName: a.displayName } : {}),
    ...(record.text ? { description: record.text } : {}),
    ...(roles.length ? { roles } : {}),
  };
  const granted = record.granted.filter((r) => held.includes(r));
  return { exists: true, spec, labels: record.labels, etag: etagOf(a, held, record.granted), raw: { account: a, policy, record, held }, status: status(a, granted) };
}

/** What the roles change does: grants, runctl's revocations, and others' grants left alone. */
function roleDelta(desired: readonly string[], raw: Raw | undefined): { grant: string[]; revoke: string[]; foreign: string[]; preexisting: string[] } {
  const held = raw?.held ?? [];
  const granted = raw?.record.granted ?? [];
  return {
    grant: desired.filter((r) => !held.includes(r)),
    revoke: held.filter((r) => granted.includes(r) && !desired.includes(r)),
    foreign: held.filter((r) => !granted.includes(r) && !desired.includes(r)),
    preexisting: held.filter((r) => !granted.includes(r) && desired.includes(r)),
  };
}

/** The one change of `spec.roles`, as a whole set (absent = none). */
function rolesChange(want: string[], have: string[]): FieldChange[] {
  if (want.join(',') === have.join(',')) return [];
  if (!have.length) return [{ path: 'spec.roles', op: 'add', new: want }];
  if (!want.length) return [{ path: 'spec.roles', op: 'remove', old: have }];
  return [{ path: 'spec.roles', op: 'replace', old: have, new: want }];
}

/** The roles runctl's record claims after this write: still wanted ones it made, plus those it grants now. */
function claimed(desired: readonly string[], raw: Raw | undefined, grant: readonly string[]): string[] {
  const kept = (raw?.record.granted ?? []).filter((r) => desired.includes(r) && (raw?.held ?? []).includes(r));
  return sorted([...kept, ...grant]);
}

/** The labels runctl records on the account: the ownership labels the engine set on the manifest. */
function ownership(m: Manifest): Record<string, string> {
  return { ...(m.metadata.labels ?? {}) };
}

export const serviceAccountController: Controller<ServiceAccountSpec, Raw, AccountForm> = {
  kind: KIND,
  schema: 'service-account.schema.json',
  regional: false,

  validate(m): Diagnostic[] {
    const out: Diagnostic[] = [];
    const labels = (m.metadata as { labels?: unknown }).labels;
    if (labels !== undefined) out.push({ code: 'InvalidValue', path: 'metadata.labels', message: 'service accounts have no labels (runctl records its ownership in the description)' });
    return out;
  },

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const email = serviceAccountEmail(m.metadata.name, project);
    return { project, name: m.metadata.name, fullName: `projects/${project}/serviceAccounts/${email}` };
  },

  async observe({ manifest: m, id }, ctx) {
    // The policy first, then the account: what a plan is made from is read in this order.
    const policy = await readProjectPolicy(ctx, id.project);
    const account = (await listAccounts(ctx, id.project)).get(emailOf(id));
    return observedFrom(account, policy, emailOf(id), sorted(m.spec?.roles));
  },

  desired({ manifest: m }) {
    const s = m.spec ?? {};
    return {
      ...(s.displayName ? { displayName: s.displayName } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.roles?.length ? { roles: sorted(s.roles) } : {}),
    };
  },

  plan({ manifest: m, desired, observed: obs }, ctx: PlanContext): ResourcePlan {
    const want = desired.roles ?? [];
    const delta = roleDelta(want, obs.raw);
    const notes: string[] = [];
    for (const r of delta.foreign) notes.push(`${r} is granted to this account by someone else (not runctl): left as it is`);
    for (const r of delta.preexisting) notes.push(`${r} was already granted to this account by someone else: runctl will not revoke it`);
    const text = desired.description ?? obs.spec?.description;
    const record = writeDescription(text, { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, 'runctl-set': ctx.set, 'runctl-deletion-policy': 'abandon' }, claimed(want, obs.raw, delta.grant));
    if (Buffer.byteLength(record, 'utf8') > DESCRIPTION_LIMIT) {
      return {
        action: obs.exists ? 'update' : 'create',
        changes: [],
        notes,
        refuse: { path: 'spec.description', reason: `the description and runctl's ownership record (${record.length - (text?.length ?? 0)} characters for its set and roles) exceed IAM's ${DESCRIPTION_LIMIT} bytes: shorten spec.description` },
      };
    }
    const { roles: _w, ...declared } = desired;
    const { roles: _h, ...live } = obs.spec ?? {};
    if (!obs.exists) {
      const { changes } = diffDeclared(declared, {});
      return { action: 'create', changes: [...changes, ...rolesChange(want, [])], notes: [`creates ${serviceAccountEmail(m.metadata.name, projectOf(m, ctx.target))}`, ...notes] };
    }
    const { changes } = diffDeclared(declared, live);
    const all = [...changes, ...rolesChange(want, obs.spec?.roles ?? [])];
    return { action: all.length ? 'update' : 'noop', changes: all, notes: all.length ? notes : notes.filter((n) => n.includes('someone else (not runctl)')) };
  },

  async apply({ manifest: m, id, desired, observed: obs, plan }, ctx: ApplyContext) {
    if (plan.action !== 'create' && plan.action !== 'update') throw new RunctlError('Internal', `${KIND}/${id.name}: cannot carry out a ${plan.action} plan`);
    const client = ctx.clients.iamServiceAccounts();
    const email = emailOf(id);
    const want = desired.roles ?? [];
    const delta = roleDelta(want, obs.raw);
    const labels = ownership(m);
    const text = desired.description ?? obs.spec?.description;
    // Claim before granting: a role in the record that the policy lacks is granted next
    // time; a grant without a claim could never be revoked.
    const claim = sorted([...(obs.raw?.record.granted ?? []).filter((r) => (obs.raw?.held ?? []).includes(r) || want.includes(r)), ...delta.grant]);
    let account = obs.raw?.account;
    if (plan.action === 'create') {
      ctx.progress('creating the service account');
      const { data } = await client.create({
        name: `projects/${id.project}`,
        requestBody: { accountId: id.name, serviceAccount: { displayName: desired.displayName, description: writeDescription(text, labels, claim) } },
      });
      account = data;
    } else if (account && ((account.displayName ?? undefined) !== desired.displayName || account.description !== writeDescription(text, labels, claim))) {
      ctx.progress('updating the service account');
      const { data } = await client.patch({
        name: id.fullName,
        requestBody: { serviceAccount: { displayName: desired.displayName ?? '', description: writeDescription(text, labels, claim) }, updateMask: 'displayName,description' },
      });
      account = data;
    }
    let policy = obs.raw?.policy;
    if (delta.grant.length || delta.revoke.length) {
      ctx.progress(`setting the project roles of ${email}`);
      policy = await updateMemberRoles(ctx, id.project, member(email), delta, obs.raw?.policy, ctx.progress);
    }
    // The record drops what was revoked (after the revocation: a failure leaves the claim).
    const heldNow = memberRoles(policy, member(email));
    const final = claim.filter((r) => want.includes(r) && heldNow.includes(r));
    const finalDescription = writeDescription(text, labels, final);
    if (account && account.description !== finalDescription) {
      const { data } = await client.patch({ name: id.fullName, requestBody: { serviceAccount: { displayName: desired.displayName ?? '', description: finalDescription }, updateMask: 'displayName,description' } });
      account = data;
    }
    return observedFrom(account, policy, email, want);
  },

  async delete({ id, observed: obs }, ctx) {
    if (!obs.exists) return;
    if (obs.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
      throw new RunctlError('NotOwned', `${KIND}/${id.name}: ${emailOf(id)} is not managed by runctl; it is left as it is`);
    }
    const email = emailOf(id);
    // A pruned account is observed through the listing (no raw): read what deleting needs.
    const raw = obs.raw?.account ? obs.raw : observedFrom(await getAccount(ctx, id), await readProjectPolicy(ctx, id.project), email, undefined).raw;
    if (!raw?.account) return;
    // Only the roles runctl granted; the bindings would otherwise stay as deleted:serviceAccount:... members.
    const revoke = raw.record.granted.filter((r) => raw.held.includes(r));
    if (revoke.length) {
      ctx.progress(`revoking the project roles runctl granted to ${email}`);
      await updateMemberRoles(ctx, id.project, member(email), { grant: [], revoke }, raw.policy, ctx.progress);
    }
    ctx.progress('deleting the service account');
    await ignoringNotFound(async () => {
      await ctx.clients.iamServiceAccounts().delete({ name: id.fullName });
    });
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of new Set(scopes.map((s) => s.project))) {
      const suffix = `@${project}.iam.gserviceaccount.com`;
      const policy = await readProjectPolicy(ctx, project);
      for (const [email, a] of await listAccounts(ctx, project)) {
        // Google-managed accounts (the Compute Engine default, service agents) are not runctl's to declare.
        if (!email.endsWith(suffix)) continue;
        const name = email.slice(0, -suffix.length);
        const record = readDescription(a.description);
        const o = observedFrom(a, policy, email, record.labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE ? record.granted : undefined);
        out.push({
          kind: KIND,
          name,
          identity: { project, name, fullName: `projects/${project}/serviceAccounts/${email}` },
          labels: o.labels ?? {},
          spec: o.spec ?? {},
          status: o.status,
          etag: o.etag,
        });
      }
    }
    return out;
  },
};
