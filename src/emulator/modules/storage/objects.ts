/**
 * Cloud Storage JSON API object routes: insert (`uploadType=media` and `multipart`, as
 * `@google-cloud/storage` sends `file.save({resumable: false})`), get (metadata, or the
 * bytes with `alt=media`), patch, list and delete, each with generation and
 * metageneration preconditions. Behaviour: `src/emulator/spec/storage.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import type { HttpRequest } from '../../http';
import { response } from '../../http';
import { bucketNotFound, invalidArg, requiredParam, type StoredBucket } from './bucket';
import {
  buildObject, checkPreconditions, mediaHeaders, NotModified, objectNotFound, parseMultipart, patchObject,
  preconditionsOf, renderObject, writableFields, type StoredObject,
} from './object';

/** Where the storage module keeps buckets and objects. */
export interface ObjectStore {
  buckets: Record<string, StoredBucket>;
  /** bucket → object name → live generation. */
  objects: Record<string, Record<string, StoredObject>>;
  /** The last generation handed out (generations never repeat). */
  lastGeneration?: string;
}

type Add = (method: string, path: string, stat: string, kind: 'read' | 'write', fn: (req: HttpRequest) => unknown, raw?: boolean) => void;

const DEFAULT_PAGE_SIZE = 20;

/** Register the object routes. `store` returns the module's state. */
export function objectRoutes(add: Add, core: EmulatorCore, store: () => ObjectStore): void {
  const bucketOf = (req: HttpRequest): StoredBucket => {
    const b = store().buckets[req.params.bucket];
    if (!b) throw bucketNotFound();
    return b;
  };
  const objectsOf = (bucket: string) => (store().objects[bucket] ??= {});
  const read = (req: HttpRequest, fn: () => unknown) => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof NotModified) return response(304);
      throw err;
    }
  };

  add('POST', '/upload/storage/v1/b/:bucket/o', 'Insert', 'write', (req) => insert(core, req, bucketOf(req), objectsOf, store), true);
  add('GET', '/storage/v1/b/:bucket/o', 'List', 'read', (req) => list(req, objectsOf(bucketOf(req).name)));
  add('GET', '/storage/v1/b/:bucket/o/*object', 'Get', 'read', (req) =>
    read(req, () => {
      const o = live(req, objectsOf(bucketOf(req).name));
      checkPreconditions(preconditionsOf(req.query), o, true);
      if (req.query.get('alt') === 'media') return response(200, Buffer.from(o._data, 'base64'), mediaHeaders(o));
      return renderObject(o);
    }),
  );
  add('PATCH', '/storage/v1/b/:bucket/o/*object', 'Patch', 'write', (req) => {
    const objects = objectsOf(bucketOf(req).name);
    const o = live(req, objects);
    checkPreconditions(preconditionsOf(req.query), o, false);
    writableFields(req.body);
    const next = patchObject(o, req.body ?? {}, core.nowIso());
    objects[o.name] = next;
    return renderObject(next);
  });
  add('DELETE', '/storage/v1/b/:bucket/o/*object', 'Delete', 'write', (req) => {
    const objects = objectsOf(bucketOf(req).name);
    const o = live(req, objects);
    checkPreconditions(preconditionsOf(req.query), o, false);
    delete objects[o.name];
    return response(204);
  });
}

/** The live object the path names; a `generation` parameter must name the live one. */
function live(req: HttpRequest, objects: Record<string, StoredObject>): StoredObject {
  const name = req.params.object;
  const o = objects[name];
  const gen = req.query.get('generation');
  if (!o || (gen !== null && gen !== String(o.generation))) throw objectNotFound(req.params.bucket, name);
  return o;
}

/**
 * Generations are microseconds of the (simulated) clock, strictly increasing across the
 * emulator: objects' and buckets' alike (a bucket's generation names its incarnation).
 */
export function nextGeneration(core: EmulatorCore, st: ObjectStore): string {
  const now = BigInt(Math.floor(core.clock.now())) * 1000n;
  const last = BigInt(st.lastGeneration ?? '0');
  const gen = now > last ? now : last + 1n;
  st.lastGeneration = gen.toString();
  return st.lastGeneration;
}

function insert(
  core: EmulatorCore,
  req: HttpRequest,
  bucket: StoredBucket,
  objectsOf: (b: string) => Record<string, StoredObject>,
  store: () => ObjectStore,
) {
  const type = req.query.get('uploadType');
  const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let fields: Record<string, any>;
  let data: Buffer;
  let name = req.query.get('name') ?? undefined;
  if (type === 'media') {
    data = body;
    fields = { contentType: req.headers['content-type'] ?? 'application/octet-stream' };
  } else if (type === 'multipart') {
    const [meta, media] = parseMultipart(body, req.headers['content-type']);
    let parsed: unknown;
    try {
      parsed = JSON.parse(meta.data.toString('utf8') || '{}');
    } catch {
      throw new EmulatorError(Code.INVALID_ARGUMENT, 'Invalid JSON payload received.', 'parseError');
    }
    name ??= (parsed as { name?: string }).name;
    fields = writableFields(parsed);
    fields.contentType ??= media.headers['content-type'] ?? 'application/octet-stream';
    data = media.data;
  } else if (type === 'resumable') {
    throw new EmulatorError(Code.UNIMPLEMENTED, 'Resumable uploads are not emulated; use uploadType=media or multipart (file.save({resumable: false})).');
  } else {
    throw invalidArg(type ? `Invalid upload type: ${type}` : 'Upload requests must include an uploadType URL parameter and a URL-encoded object name.');
  }
  if (!name) throw requiredParam('name');
  if (Buffer.byteLength(name) > 1024 || /[\r\n]/.test(name)) throw invalidArg(`Invalid object name: '${name}'`);
  const objects = objectsOf(bucket.name);
  checkPreconditions(preconditionsOf(req.query), objects[name], false);
  const o = buildObject({ name: String(bucket.name), storageClass: bucket.storageClass }, name, data, fields, { generation: nextGeneration(core, store()), nowIso: core.nowIso() });
  objects[name] = o;
  return renderObject(o);
}

function list(req: HttpRequest, objects: Record<string, StoredObject>) {
  const prefix = req.query.get('prefix') ?? '';
  const all = Object.values(objects)
    .filter((o) => o.name.startsWith(prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rawMax = req.query.get('maxResults');
  const size = rawMax ? Number(rawMax) : DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw invalidArg(`Invalid argument: maxResults '${rawMax}'.`);
  const token = req.query.get('pageToken');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : undefined;
  const rest = after === undefined ? all : all.filter((o) => o.name > after);
  const page = rest.slice(0, Math.min(size, 1000));
  const next = rest.length > page.length ? Buffer.from(page[page.length - 1].name).toString('base64url') : undefined;
  return { kind: 'storage#objects', ...(page.length ? { items: page.map(renderObject) } : {}), ...(next ? { nextPageToken: next } : {}) };
}
