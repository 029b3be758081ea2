/**
 * Secret versions: AddSecretVersion (payload sealed at rest, `data_crc32c` checked),
 * GetSecretVersion, ListSecretVersions, AccessSecretVersion, and the state changes
 * Disable / Enable / Destroy. `latest` names the most recently created version, and a
 * secret's `version_aliases` name versions too.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { crc32c } from '../../../util/crc32c';
import type { PayloadSealer } from './crypto';
import { page } from './secrets';
import {
  checkEtag, clone, findSecret, invalid, newEtag, parseVersionName, publicName, requireSecret, secretNotFound,
  timestamp, type SecretRecord, type VersionRecord,
} from './state';

type Obj = Record<string, any>;

/** Secret Manager's payload limit. */
const MAX_PAYLOAD = 64 * 1024;

function versionName(core: EmulatorCore, id: string, n: number | string): string {
  return `${publicName(core, id)}/versions/${n}`;
}

/** The replication status a new version reports, from its secret's policy. */
function replicationStatus(rec: SecretRecord): Obj {
  const um = rec.secret.replication?.userManaged;
  if (um) return { userManaged: { replicas: (um.replicas ?? []).map((r: Obj) => ({ location: r.location })) } };
  return { automatic: {} };
}

function versionNotFound(name: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `Secret Version [${name}] not found.`);
}

/** Resolve a version name (number, `latest` or an alias) to its record. */
export function resolveVersion(core: EmulatorCore, rec: SecretRecord, id: string, token: string): { n: string; v: VersionRecord } {
  let n = token;
  if (token === 'latest') {
    const numbers = Object.keys(rec.versions).map(Number);
    if (!numbers.length) throw new EmulatorError(Code.NOT_FOUND, `Secret [${publicName(core, id)}] not found or has no versions.`);
    n = String(Math.max(...numbers));
  } else if (!/^[1-9][0-9]*$/.test(token)) {
    const alias = rec.secret.versionAliases?.[token];
    if (alias === undefined) throw versionNotFound(versionName(core, id, token));
    n = String(alias);
  }
  const v = rec.versions[n];
  if (!v) throw versionNotFound(versionName(core, id, n));
  return { n, v };
}

function requireVersion(core: EmulatorCore, name: unknown): { rec: SecretRecord; id: string; n: string; v: VersionRecord } {
  const { project, id, version } = parseVersionName(name);
  const rec = findSecret(core, project, id);
  if (!rec) throw secretNotFound(core, id);
  return { rec, id, ...resolveVersion(core, rec, id, version) };
}

export function addSecretVersion(core: EmulatorCore, sealer: PayloadSealer, req: Obj): Obj {
  const { rec, id } = requireSecret(core, req.parent, 'parent');
  if (!req.payload) throw invalid('Field [payload] is required.');
  const data: Buffer = Buffer.from(req.payload.data ?? []);
  if (data.length > MAX_PAYLOAD) throw invalid('Secret Payload cannot be larger than 64KiB.');
  const crc = crc32c(data);
  const given = req.payload.dataCrc32c;
  if (given !== undefined && given !== null && String(given) !== String(crc)) {
    throw invalid('Checksum mismatch: payload.data_crc32c does not match the CRC32C of payload.data (the data may have been corrupted in transit).');
  }
  const n = rec.next++;
  const name = versionName(core, id, n);
  const version: Obj = {
    name,
    createTime: timestamp(core),
    state: 'ENABLED',
    replicationStatus: replicationStatus(rec),
    etag: newEtag(core),
    clientSpecifiedPayloadChecksum: given !== undefined && given !== null,
  };
  rec.versions[String(n)] = { version, sealed: sealer.seal(data, name), crc32c: String(crc) };
  return clone(version);
}

export function getSecretVersion(core: EmulatorCore, req: Obj): Obj {
  return clone(requireVersion(core, req.name).v.version);
}

export function listSecretVersions(core: EmulatorCore, req: Obj): Obj {
  const { rec } = requireSecret(core, req.parent, 'parent');
  const filter = String(req.filter ?? '').trim();
  const m = filter ? /^state\s*[:=]\s*(ENABLED|DISABLED|DESTROYED)$/.exec(filter) : undefined;
  if (filter && !m) throw invalid(`Invalid filter "${filter}": the emulator supports state:ENABLED, state:DISABLED and state:DESTROYED.`);
  // Newest first, as the real API lists them.
  const all = Object.entries(rec.versions)
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([, v]) => v.version)
    .filter((v) => !m || v.state === m[1]);
  const { items, nextPageToken } = page(all, req.pageSize, req.pageToken);
  return { versions: items.map((v) => clone(v)), nextPageToken, totalSize: all.length };
}

function notEnabled(v: VersionRecord): EmulatorError {
  return new EmulatorError(Code.FAILED_PRECONDITION, `Secret Version [${v.version.name}] is in ${v.version.state} state.`);
}

export function accessSecretVersion(core: EmulatorCore, sealer: PayloadSealer, req: Obj): Obj {
  const { v } = requireVersion(core, req.name);
  if (v.version.state !== 'ENABLED' || !v.sealed) throw notEnabled(v);
  const data = sealer.open(v.sealed, v.version.name);
  return { name: v.version.name, payload: { data, dataCrc32c: v.crc32c ?? String(crc32c(data)) } };
}

/** Disable, enable or destroy a version (etag-checked). */
export function changeState(core: EmulatorCore, req: Obj, to: 'ENABLED' | 'DISABLED' | 'DESTROYED'): Obj {
  const { v } = requireVersion(core, req.name);
  checkEtag(req.etag, v.version.etag, 'secret version');
  if (v.version.state === 'DESTROYED') throw notEnabled(v);
  v.version.state = to;
  if (to === 'DESTROYED') {
    v.version.destroyTime = timestamp(core);
    delete v.sealed;
    delete v.crc32c;
  }
  v.version.etag = newEtag(core);
  return clone(v.version);
}
