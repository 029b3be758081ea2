/**
 * Cloud Storage object resources: generation and metageneration numbering, the object
 * JSON (etag, checksums, links), preconditions and the JSON API's errors for objects.
 * Pure functions over plain JSON; the routes are in `objects.ts`.
 */
import { createHash } from 'node:crypto';
import { Code, EmulatorError } from '../../errors';
import { preconditionFailed } from './bucket';
import { crc32c as crc32cValue } from '../../../util/crc32c';

/** A stored object: its public JSON plus the content (base64). */
export type StoredObject = Record<string, any> & { _data: string };

/** Fields a client may set on insert or patch; the rest are the server's. */
const WRITABLE = [
  'contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'metadata',
  'customTime', 'storageClass', 'temporaryHold', 'eventBasedHold',
];

/** 404 `notFound` for an object (the message names bucket and object, as Google's does). */
export function objectNotFound(bucket: string, name: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `No such object: ${bucket}/${name}`, 'notFound');
}

/** Thrown by reads whose `ifGenerationNotMatch` / `ifMetagenerationNotMatch` matched: 304, no body. */
export class NotModified extends Error {}

/** The query's preconditions, each undefined when absent. */
export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

/** Read the four precondition parameters; a value that is not a non-negative integer is 400. */
export function preconditionsOf(query: URLSearchParams): Preconditions {
  const out: Preconditions = {};
  for (const k of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const) {
    const v = query.get(k);
    if (v === null) continue;
    if (!/^\d+$/.test(v)) throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid argument for parameter ${k}: ${v}`, 'invalid');
    out[k] = BigInt(v).toString();
  }
  return out;
}

/**
 * Check preconditions against the live object (undefined when there is none). Generation
 * 0 stands for "no live object". A failed `…Match` is 412; a failed `…NotMatch` is 304 on
 * reads and 412 on writes. Without a live object, metageneration conditions fail.
 */
export function checkPreconditions(p: Preconditions, live: StoredObject | undefined, read: boolean): void {
  const gen = live ? String(live.generation) : '0';
  const fail = (notMatch: boolean) => {
    if (notMatch && read) throw new NotModified();
    throw preconditionFailed();
  };
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== gen) fail(false);
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === gen) fail(true);
  if (p.ifMetagenerationMatch !== undefined && (!live || p.ifMetagenerationMatch !== String(live.metageneration))) fail(false);
  if (p.ifMetagenerationNotMatch !== undefined && live && p.ifMetagenerationNotMatch === String(live.metageneration)) fail(true);
}

/** CRC32C (Castagnoli) of the data, base64 of its big-endian bytes, as in `crc32c` and `x-goog-hash`. */
export function crc32c(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32cValue(data));
  return out.toString('base64');
}

function varint(n: bigint): number[] {
  const bytes: number[] = [];
  while (n > 0x7fn) {
    bytes.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  bytes.push(Number(n));
  return bytes;
}

/** An object's etag: base64 of the protobuf `{1: generation, 2: metageneration}` (e.g. `CN+Mjofdj/4CEAE=`). */
export function objectEtag(generation: string, metageneration: string): string {
  return Buffer.from([0x08, ...varint(BigInt(generation)), 0x10, ...varint(BigInt(metageneration))]).toString('base64');
}

/** Only the fields a client may set, from a request body or multipart metadata. */
export function writableFields(body: unknown): Record<string, any> {
  const src = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, any>) : {};
  const out: Record<string, any> = {};
  for (const k of WRITABLE) if (src[k] !== undefined && src[k] !== null) out[k] = src[k];
  if (out.metadata !== undefined && (typeof out.metadata !== 'object' || Array.isArray(out.metadata))) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, 'Invalid argument: metadata must be a map.', 'invalid');
  }
  return out;
}

/** A new generation of an object. */
export function buildObject(
  bucket: { name: string; storageClass?: string },
  name: string,
  data: Buffer,
  fields: Record<string, any>,
  ctx: { generation: string; nowIso: string },
): StoredObject {
  const enc = encodeURIComponent(name);
  return {
    kind: 'storage#object',
    id: `${bucket.name}/${name}/${ctx.generation}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${bucket.name}/o/${enc}`,
    mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket.name}/o/${enc}?generation=${ctx.generation}&alt=media`,
    name,
    bucket: bucket.name,
    generation: ctx.generation,
    metageneration: '1',
    contentType: 'application/octet-stream',
    storageClass: bucket.storageClass ?? 'STANDARD',
    ...fields,
    size: String(data.length),
    md5Hash: createHash('md5').update(data).digest('base64'),
    crc32c: crc32c(data),
    etag: objectEtag(ctx.generation, '1'),
    timeCreated: ctx.nowIso,
    updated: ctx.nowIso,
    timeStorageClassUpdated: ctx.nowIso,
    _data: data.toString('base64'),
  };
}

/** A metadata patch: a JSON merge of the writable fields; bumps the metageneration. */
export function patchObject(live: StoredObject, patch: Record<string, any>, nowIso: string): StoredObject {
  const next: StoredObject = { ...live };
  const raw = patch && typeof patch === 'object' ? patch : {};
  for (const k of WRITABLE) {
    if (!(k in raw)) continue;
    if (raw[k] === null) delete next[k];
    else if (k === 'metadata') {
      const merged: Record<string, any> = { ...(live.metadata ?? {}) };
      for (const [mk, mv] of Object.entries(raw.metadata as Record<string, any>)) {
        if (mv === null) delete merged[mk];
        else merged[mk] = String(mv);
      }
      if (Object.keys(merged).length) next.metadata = merged;
      else delete next.metadata;
    } else next[k] = raw[k];
  }
  next.metageneration = String(Number(live.metageneration) + 1);
  next.etag = objectEtag(live.generation, next.metageneration);
  next.updated = nowIso;
  return next;
}

/** The public JSON of a stored object. */
export function renderObject(o: StoredObject): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(o)) if (!k.startsWith('_')) out[k] = v;
  return JSON.parse(JSON.stringify(out));
}

/** Response headers of a media download (`alt=media`), as Cloud Storage sends them. */
export function mediaHeaders(o: StoredObject): Record<string, string> {
  return {
    'content-type': String(o.contentType ?? 'application/octet-stream'),
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'x-goog-generation': String(o.generation),
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-stored-content-length': String(o.size),
    'x-goog-stored-content-encoding': String(o.contentEncoding ?? 'identity'),
    etag: String(o.etag),
  };
}

/**
 * Split a `multipart/related` body (a JSON metadata part, then the media part) into its
 * parts. `contentType` is the request's header with the boundary.
 */
export function parseMultipart(body: Buffer, contentType: string | undefined): Array<{ headers: Record<string, string>; data: Buffer }> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!m) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Missing boundary in multipart body.', 'invalid');
  const delim = Buffer.from(`--${m[1] ?? m[2].trim()}`);
  const parts: Array<{ headers: Record<string, string>; data: Buffer }> = [];
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    // A part: CRLF, headers, CRLF CRLF, data, CRLF, then the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = split < 0 ? '' : part.subarray(0, split).toString('utf8');
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, data: split < 0 ? part : part.subarray(split + 4) });
    at = next;
  }
  if (parts.length !== 2) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Multipart upload needs exactly two parts: metadata and media.', 'invalid');
  return parts;
}
