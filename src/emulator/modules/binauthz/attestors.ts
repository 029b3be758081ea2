/**
 * Attestors (`projects/{p}/attestors/{a}`): create with `attestorId`, get, replace
 * (PUT, etag-checked), delete and list with paging. An attestor needs a
 * `userOwnedGrafeasNote` naming a note `projects/*\/notes/*`; the server fills
 * `delegationServiceAccountEmail`, public key IDs, `updateTime` and `etag`.
 */
import { createHash } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../errors';
import { binauthzState, checkFields, clone, etagMismatch, invalid, type Schema } from './state';

const KEY: Schema = { comment: true, id: true, asciiArmoredPgpPublicKey: true, pkixPublicKey: { publicKeyPem: true, signatureAlgorithm: true, keyId: true } };
const ATTESTOR: Schema = {
  name: true,
  description: true,
  userOwnedGrafeasNote: { noteReference: true, publicKeys: { list: KEY }, delegationServiceAccountEmail: true },
  updateTime: true,
  etag: true,
};

function notFound(name: string): never {
  throw new EmulatorError(Code.NOT_FOUND, `Attestor ${name} not found.`);
}

function build(core: EmulatorCore, name: string, body: unknown): any {
  if (body === undefined) invalid('Invalid JSON payload received. The request body must be an Attestor.');
  const a = checkFields(body, ATTESTOR, 'attestor');
  const note = a.userOwnedGrafeasNote;
  if (!note) invalid('attestor.user_owned_grafeas_note is required.');
  if (!/^projects\/[^/]+\/notes\/[^/]+$/.test(note.noteReference ?? '')) {
    invalid(`Invalid value at 'attestor.user_owned_grafeas_note.note_reference' ("${note.noteReference ?? ''}"): expected projects/*/notes/*.`);
  }
  const keys = (note.publicKeys ?? []).map((k: any, i: number) => {
    const at = `attestor.user_owned_grafeas_note.public_keys[${i}]`;
    if (!!k.asciiArmoredPgpPublicKey === !!k.pkixPublicKey) invalid(`${at} must set exactly one of ascii_armored_pgp_public_key or pkix_public_key.`);
    if (k.pkixPublicKey && !k.pkixPublicKey.publicKeyPem) invalid(`${at}.pkix_public_key.public_key_pem is required.`);
    // The real API derives IDs from the key: a PGP fingerprint, or an RFC 6920 digest URI for PKIX keys.
    const material = k.asciiArmoredPgpPublicKey ?? k.pkixPublicKey.publicKeyPem;
    const id = k.id || (k.pkixPublicKey
      ? `ni:///sha-256;${createHash('sha256').update(material).digest('base64url')}`
      : createHash('sha1').update(material).digest('hex').toUpperCase());
    return { ...k, id };
  });
  return {
    name,
    ...(a.description !== undefined ? { description: a.description } : {}),
    userOwnedGrafeasNote: {
      noteReference: note.noteReference,
      ...(keys.length ? { publicKeys: keys } : {}),
      delegationServiceAccountEmail: `service-${core.projectNumber}@gcp-sa-binaryauthorization.iam.gserviceaccount.com`,
    },
    updateTime: core.nowIso(),
    etag: core.newEtag(),
  };
}

/** CreateAttestor (`POST /v1/projects/{p}/attestors?attestorId=`). */
export function createAttestor(core: EmulatorCore, project: string, attestorId: string | null, body: unknown): any {
  if (!attestorId) invalid('attestorId is required.');
  if (!/^[a-zA-Z0-9_-]{1,100}$/.test(attestorId)) invalid(`Invalid value for attestorId ("${attestorId}").`);
  const name = `projects/${project}/attestors/${attestorId}`;
  const st = binauthzState(core);
  if (st.attestors[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Attestor ${name} already exists.`);
  const a = build(core, name, body);
  st.attestors[name] = a;
  return clone(a);
}

/** GetAttestor. */
export function getAttestor(core: EmulatorCore, name: string): any {
  return clone(binauthzState(core).attestors[name] ?? notFound(name));
}

/** UpdateAttestor (PUT, whole replacement; stale etag → 409 ABORTED). */
export function updateAttestor(core: EmulatorCore, name: string, body: unknown): any {
  const st = binauthzState(core);
  const existing = st.attestors[name] ?? notFound(name);
  const etag = (body as any)?.etag;
  if (etag !== undefined && etag !== existing.etag) etagMismatch(name);
  const a = build(core, name, body);
  st.attestors[name] = a;
  return clone(a);
}

/** DeleteAttestor. */
export function deleteAttestor(core: EmulatorCore, name: string): any {
  const st = binauthzState(core);
  if (!st.attestors[name]) notFound(name);
  delete st.attestors[name];
  return {};
}

/** ListAttestors with `pageSize` / `pageToken`. */
export function listAttestors(core: EmulatorCore, project: string, pageSize: string | null, pageToken: string | null): any {
  const all = Object.values(binauthzState(core).attestors).filter((a: any) => a.name.startsWith(`projects/${project}/attestors/`));
  const size = pageSize ? Number(pageSize) : 100;
  if (!Number.isInteger(size) || size < 0) invalid('pageSize must be a non-negative integer.');
  const offset = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) invalid(`Invalid pageToken ("${pageToken}").`);
  const limit = size === 0 ? 100 : size;
  const page = all.slice(offset, offset + limit);
  const out: any = { attestors: clone(page) };
  if (offset + limit < all.length) out.nextPageToken = Buffer.from(String(offset + limit)).toString('base64url');
  return out;
}
