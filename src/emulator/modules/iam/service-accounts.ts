/**
 * IAM v1 service accounts over REST (`iam.googleapis.com/v1/projects/{p}/serviceAccounts`),
 * the surface `@googleapis/iam` calls: create, get, list, patch, update, delete,
 * enable/disable and the account's own IAM policy. See `src/emulator/spec/iam.md`.
 */
import type { EmulatorCore } from '../../core';
import { checkPolicyMembers } from '../../org-policy';
import { Code, EmulatorError } from '../../errors';
import { emptyPolicy, policyWire, setPolicy, type SetPolicyInput } from './policy';
import {
  ACCOUNT_ETAG, accountEmail, computeDefaultEmail, iamNs, uniqueId,
  type AccountRecord, type ServiceAccountWire,
} from './state';

/** RFC 1035 label of 6-30 characters: the account ID rule of CreateServiceAccountRequest. */
const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;

const invalid = (message: string) => new EmulatorError(Code.INVALID_ARGUMENT, message);

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Check the user-assignable fields (`displayName` ≤ 100 bytes, `description` ≤ 256 bytes). */
function checkFields(sa: { displayName?: unknown; description?: unknown }): void {
  if (sa.displayName !== undefined && sa.displayName !== null) {
    if (typeof sa.displayName !== 'string') throw invalid('Invalid value at \'service_account.display_name\'.');
    if (utf8Length(sa.displayName) > 100) throw invalid('Display name must be at most 100 bytes long.');
  }
  if (sa.description !== undefined && sa.description !== null) {
    if (typeof sa.description !== 'string') throw invalid('Invalid value at \'service_account.description\'.');
    if (utf8Length(sa.description) > 256) throw invalid('Description must be at most 256 bytes long.');
  }
}

/** The Compute Engine default account of `project`, as IAM lists it (every project has one). */
function computeDefault(core: EmulatorCore, project: string): AccountRecord | undefined {
  const email = computeDefaultEmail(core);
  if (iamNs(core).deleted[email]) return undefined;
  const id = uniqueId(`${project}/${email}`);
  return {
    account: {
      name: `projects/${project}/serviceAccounts/${email}`,
      projectId: project,
      uniqueId: id,
      email,
      displayName: 'Compute Engine default service account',
      etag: ACCOUNT_ETAG,
      oauth2ClientId: id,
    },
    createMs: 0,
    seq: 0,
  };
}

/** The permission IAM names when `projects/-/...` finds nothing (it answers 403, not 404). */
const PERMISSION: Record<string, string> = {
  get: 'iam.serviceAccounts.get',
  patch: 'iam.serviceAccounts.update',
  update: 'iam.serviceAccounts.update',
  delete: 'iam.serviceAccounts.delete',
  getIamPolicy: 'iam.serviceAccounts.getIamPolicy',
  setIamPolicy: 'iam.serviceAccounts.setIamPolicy',
  enable: 'iam.serviceAccounts.enable',
  disable: 'iam.serviceAccounts.disable',
};

/**
 * The account `projects/{project}/serviceAccounts/{key}` names (`key`: email or unique
 * ID; `project` may be `-`). Missing: 404 `Unknown service account`, or 403 with the
 * wildcard project, as IAM documents.
 */
export function findAccount(core: EmulatorCore, project: string, key: string, op: keyof typeof PERMISSION = 'get'): AccountRecord {
  const st = iamNs(core);
  let rec: AccountRecord | undefined = st.accounts[key] ?? Object.values(st.accounts).find((r) => r.account.uniqueId === key);
  if (!rec && project !== '-') {
    const dflt = computeDefault(core, project);
    if (dflt && (key === dflt.account.email || key === dflt.account.uniqueId)) rec = dflt;
  }
  if (rec && (project === '-' || rec.account.projectId === project || project === core.projectNumber)) return rec;
  if (project === '-') {
    throw new EmulatorError(Code.PERMISSION_DENIED, `Permission '${PERMISSION[op]}' denied on resource (or it may not exist).`);
  }
  throw new EmulatorError(Code.NOT_FOUND, 'Unknown service account');
}

function stored(core: EmulatorCore, rec: AccountRecord): AccountRecord {
  // The default account is materialised when first changed (disable, its IAM policy).
  const st = iamNs(core);
  if (!st.accounts[rec.account.email]) st.accounts[rec.account.email] = rec;
  return rec;
}

export function createAccount(core: EmulatorCore, project: string, body: any): ServiceAccountWire {
  if (project === '-') throw invalid('Request contains an invalid argument.');
  const accountId = body?.accountId;
  if (typeof accountId !== 'string' || !accountId) throw invalid('Request contains an invalid argument.');
  if (!ACCOUNT_ID.test(accountId)) throw invalid(`${accountId} does not match [a-zA-Z][a-zA-Z\\d\\-]*[a-zA-Z\\d].`);
  if (accountId.length < 6 || accountId.length > 30) throw invalid('Request contains an invalid argument.');
  const sa = body.serviceAccount ?? {};
  checkFields(sa);
  const st = iamNs(core);
  const email = accountEmail(accountId, project);
  if (st.accounts[email]) {
    throw new EmulatorError(Code.ALREADY_EXISTS, `Service account ${accountId} already exists within project projects/${project}.`);
  }
  const id = uniqueId();
  const account: ServiceAccountWire = {
    name: `projects/${project}/serviceAccounts/${email}`,
    projectId: project,
    uniqueId: id,
    email,
    ...(sa.displayName ? { displayName: sa.displayName } : {}),
    ...(sa.description ? { description: sa.description } : {}),
    etag: ACCOUNT_ETAG,
    oauth2ClientId: id,
  };
  st.accounts[email] = { account, createMs: core.clock.now(), seq: ++st.seq };
  delete st.deleted[email];
  return account;
}

export function listAccounts(core: EmulatorCore, project: string, pageSize: string | null, pageToken: string | null): unknown {
  const st = iamNs(core);
  const own = Object.values(st.accounts).filter((r) => r.account.projectId === project);
  const dflt = computeDefault(core, project);
  if (dflt && !own.some((r) => r.account.email === dflt.account.email)) own.push(dflt);
  const items = own.sort((a, b) => a.account.email.localeCompare(b.account.email));
  const size = Math.min(Math.max(Number(pageSize) || 20, 1), 100);
  let offset = 0;
  if (pageToken) {
    offset = Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid page token.');
  }
  const page = items.slice(offset, offset + size).map((r) => r.account);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
  return { ...(page.length ? { accounts: page } : {}), ...(next ? { nextPageToken: next } : {}) };
}

/** PATCH: `{serviceAccount, updateMask}`; only `displayName` and `description` may be named. */
export function patchAccount(core: EmulatorCore, project: string, key: string, body: any): ServiceAccountWire {
  const rec = stored(core, findAccount(core, project, key, 'patch'));
  const sa = body?.serviceAccount ?? {};
  const paths = String(body?.updateMask ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (!paths.length) throw invalid('Request contains an invalid argument.');
  const fields = paths.map((p) => ({ display_name: 'displayName', displayName: 'displayName', description: 'description' })[p]);
  if (fields.some((f) => !f)) throw invalid(`Invalid update mask: ${paths.join(',')}. Only display_name and description can be updated.`);
  checkFields(sa);
  for (const f of fields as Array<'displayName' | 'description'>) {
    const v = sa[f];
    if (v) rec.account[f] = v;
    else delete rec.account[f];
  }
  return rec.account;
}

/** PUT (deprecated `update`): the body is the account; `displayName` and `description` are taken. */
export function updateAccount(core: EmulatorCore, project: string, key: string, body: any): ServiceAccountWire {
  const rec = stored(core, findAccount(core, project, key, 'update'));
  checkFields(body ?? {});
  for (const f of ['displayName', 'description'] as const) {
    const v = body?.[f];
    if (v) rec.account[f] = v;
    else delete rec.account[f];
  }
  return rec.account;
}

/**
 * DELETE. The unique ID is remembered: bindings naming the account now read
 * `deleted:serviceAccount:EMAIL?uid=ID`, and a new account of the same name does not
 * inherit them, as IAM does.
 */
export function deleteAccount(core: EmulatorCore, project: string, key: string, renameMembers: (from: string, to: string) => void): unknown {
  const rec = findAccount(core, project, key, 'delete');
  const st = iamNs(core);
  delete st.accounts[rec.account.email];
  st.deleted[rec.account.email] = rec.account.uniqueId;
  renameMembers(`serviceAccount:${rec.account.email}`, `deleted:serviceAccount:${rec.account.email}?uid=${rec.account.uniqueId}`);
  return {};
}

export function setDisabled(core: EmulatorCore, project: string, key: string, disabled: boolean): unknown {
  const rec = stored(core, findAccount(core, project, key, disabled ? 'disable' : 'enable'));
  if (disabled) rec.account.disabled = true;
  else delete rec.account.disabled;
  return {};
}

export function getAccountPolicy(core: EmulatorCore, project: string, key: string): unknown {
  return policyWire(findAccount(core, project, key, 'getIamPolicy').policy ?? emptyPolicy());
}

export function setAccountPolicy(core: EmulatorCore, project: string, key: string, body: SetPolicyInput, exists: (email: string) => boolean): unknown {
  const rec = stored(core, findAccount(core, project, key, 'setIamPolicy'));
  const next = setPolicy(rec.policy ?? emptyPolicy(), body ?? {}, exists);
  // Domain Restricted Sharing refuses public members (`--org-policy domain-restricted-sharing`).
  checkPolicyMembers(core, next.bindings);
  rec.policy = next;
  return policyWire(rec.policy);
}
