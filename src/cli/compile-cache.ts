/**
 * V8's compile cache for runctl's own and its dependencies' modules: a start then skips
 * most of the JavaScript parsing and compiling that loading ~700 modules costs. Imported
 * first by `main.ts`, so every module loaded after it is cached.
 *
 * - Node >= 22.1 has it built in (`module.enableCompileCache`): runctl turns it on, in
 *   runctl's cache directory (`privateCacheDir`).
 * - On older Node (20) runctl keeps its own (`installCodeCache` below), and it caches more
 *   than V8's usual compile-time cache: the code is serialised when the process exits, so
 *   it also holds the functions that ran (V8 compiles a function's body only when it is
 *   first called; a cache made right after compiling holds little more than the top
 *   level, which is why the `v8-compile-cache` approach measured within noise).
 *
 * Module resolution is remembered too, on every Node version (`installResolveCache`):
 * a no-op `diff` resolves ~1,900 `require` specifiers, each a walk of stats, real paths
 * and package.json reads. The remembered answers are used only while the install is the
 * one they were made in (the fingerprint: runctl's package.json, its build and npm's
 * record of the node_modules tree, `node_modules/.package-lock.json`, which npm rewrites
 * whenever it changes the tree); anything else resolves as usual.
 *
 * NODE_DISABLE_COMPILE_CACHE=1 turns all of it off. A cache that cannot be read or written
 * only costs speed; a cached entry is used only for the same file (path, size and
 * modification time), Node version and V8 flags — V8 itself rejects data made by another
 * version or with other flags, and the module is then compiled as usual.
 */
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** The file format's version: a different one is ignored and rewritten. */
const FORMAT = 1;
/** A cache beyond this size is not written (it would cost more to read than it saves). */
const MAX_BYTES = 64 * 1024 * 1024;
/** Caches of other installs or Node versions not written for this long are removed. */
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;

interface Entry {
  /** `size:mtimeMs` of the file the data was made from. */
  key: string;
  data: Buffer;
}

interface Compiled {
  script: vm.Script;
  key: string;
}

/** The internals of `Module` this relies on (public in practice, untyped in @types/node). */
interface ModuleInternals {
  _resolveFilename: ResolveFilename;
  prototype: { _compile(this: ModuleLike, content: string, filename: string): unknown };
  wrap(script: string): string;
  _resolveLookupPaths(request: string, parent: ModuleLike): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}

type ResolveFilename = (request: string, parent: ModuleLike | undefined, isMain: boolean, options?: { paths?: string[] }) => string;

interface ModuleLike {
  filename?: string;
  exports: unknown;
  require(id: string): unknown;
}

/**
 * A short name for a path (FNV-1a, 52 bits in hex): not a security measure (the
 * directory is the user's own), only a file name. node:crypto would cost ~10 ms to load.
 */
function fnv1a(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return (h & 0xfffffffffffffn).toString(16).padStart(13, '0');
}

/** Where a cache file lives: one per Node version, architecture and runctl install (`.bin`: code, `.resolve.json`: resolutions). */
export function codeCacheFile(dir: string, entry: string, extension: '.bin' | '.resolve.json' = '.bin'): string {
  const install = fnv1a(entry);
  return path.join(dir, `runctl-v8-${FORMAT}-${process.version}-${process.arch}-${install}${extension}`);
}

/** Write a file atomically (a concurrent reader sees the old file or the new one, never half of one). */
function writeAtomically(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Read a cache file: `[u32 header length][JSON header [name, key, length][]][data...]`. */
export function readCodeCache(file: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return entries;
  }
  try {
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as Array<[string, string, number]>;
    let offset = 4 + headerLength;
    for (const [name, key, length] of header) {
      if (offset + length > buf.length) return new Map();
      entries.set(name, { key, data: buf.subarray(offset, offset + length) });
      offset += length;
    }
  } catch {
    return new Map();
  }
  return entries;
}

/** Write a code cache file (atomically). */
export function writeCodeCache(file: string, entries: Map<string, Entry>): void {
  const header: Array<[string, string, number]> = [];
  const data: Buffer[] = [];
  let total = 0;
  for (const [name, e] of entries) {
    header.push([name, e.key, e.data.length]);
    data.push(e.data);
    total += e.data.length;
  }
  if (total > MAX_BYTES) return;
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length);
  writeAtomically(file, Buffer.concat([length, head, ...data]));
  removeOldCaches(path.dirname(file));
}

/** Remove caches nobody wrote for two weeks (other installs, other Node versions). */
function removeOldCaches(dir: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith('runctl-v8-')) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > MAX_AGE_MS) fs.rmSync(file, { force: true });
    } catch {
      /* raced with another process */
    }
  }
}

/**
 * Compile CommonJS modules through `vm.Script` with cached data, and at exit write the
 * code of every module this process compiled (when something was missing or stale).
 * Modules that use `import()` (which needs Node's own loader callback) and files Node
 * compiles as ES modules keep Node's own path.
 */
export function installCodeCache(file: string): void {
  const Module = require('node:module') as ModuleInternals; // the module itself: an import is a read-only namespace
  const original = Module.prototype._compile;
  const cached = readCodeCache(file);
  const compiled = new Map<string, Compiled>();
  let stale = false;

  Module.prototype._compile = function compile(this: ModuleLike, content: string, filename: string): unknown {
    if (content.includes('import(')) return original.call(this, content, filename);
    let key: string;
    try {
      const st = fs.statSync(filename);
      key = `${st.size}:${st.mtimeMs}`;
    } catch {
      return original.call(this, content, filename);
    }
    const hit = cached.get(filename);
    const source = Module.wrap(content.startsWith('#!') ? `//${content}` : content);
    let script: vm.Script;
    try {
      script = new vm.Script(source, { filename, cachedData: hit?.key === key ? hit.data : undefined });
    } catch {
      // Not CommonJS after all (Node retries such files as ES modules), or a real syntax
      // error, which Node's own path reports as it always does.
      return original.call(this, content, filename);
    }
    if (hit?.key !== key || script.cachedDataRejected) stale = true;
    compiled.set(filename, { script, key });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(Module, this), this, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (!stale) return;
    try {
      const next = new Map<string, Entry>();
      for (const [name, e] of cached) if (!compiled.has(name)) next.set(name, e);
      for (const [name, c] of compiled) next.set(name, { key: c.key, data: c.script.createCachedData() });
      writeCodeCache(file, next);
    } catch {
      /* an unwritable cache only costs speed */
    }
  });
}

/**
 * What identifies an install for the resolution cache: the modification times and sizes
 * of runctl's package.json, its built entry point and every `node_modules/.package-lock.json`
 * from runctl's directory up (npm rewrites that file whenever it changes the tree below
 * it). Undefined when no such record exists: then nothing is remembered.
 */
export function installFingerprint(entry: string): string | undefined {
  let dir = path.dirname(entry);
  let root: string | undefined;
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) {
      root = d;
      break;
    }
    if (path.dirname(d) === d) return undefined;
  }
  const parts: string[] = [];
  const stamp = (file: string): boolean => {
    try {
      const st = fs.statSync(file);
      parts.push(`${file}:${st.size}:${st.mtimeMs}`);
      return true;
    } catch {
      return false;
    }
  };
  stamp(path.join(root, 'package.json'));
  stamp(path.join(root, 'dist', '.build-stamp'));
  stamp(entry);
  let records = 0;
  for (dir = root; ; dir = path.dirname(dir)) {
    if (stamp(path.join(dir, 'node_modules', '.package-lock.json'))) records++;
    if (path.dirname(dir) === dir) break;
  }
  return records ? parts.join('\n') : undefined;
}

/**
 * Remember `require` resolutions across runs of the same install (see the file's
 * comment). Only plain resolutions are remembered: not the main module, not calls with
 * explicit lookup `paths`, not built-in modules, never failures.
 */
export function installResolveCache(file: string, fingerprint: string): void {
  const Module = require('node:module') as ModuleInternals; // the module itself: an import is a read-only namespace
  const original = Module._resolveFilename;
  let known: Record<string, string> = {};
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: number; fingerprint?: string; entries?: Record<string, string> };
    if (saved.format === FORMAT && saved.fingerprint === fingerprint && saved.entries) known = saved.entries;
  } catch {
    /* none yet */
  }
  const entries: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, known);
  let added = 0;
  Module._resolveFilename = function resolveFilename(this: unknown, request, parent, isMain, options): string {
    if (isMain || options || typeof request !== 'string' || !parent?.filename) return original.call(this, request, parent, isMain, options);
    const key = `${path.dirname(parent.filename)}\0${request}`;
    const hit = entries[key];
    // A module not loaded yet must still be there (a file removed by hand, outside npm).
    if (hit !== undefined && ((Module._cache as Record<string, unknown>)[hit] || fs.existsSync(hit))) return hit;
    const resolved = original.call(this, request, parent, isMain, options);
    if (path.isAbsolute(resolved)) {
      entries[key] = resolved;
      added++;
    }
    return resolved;
  };
  process.once('exit', () => {
    if (!added) return;
    try {
      writeAtomically(file, JSON.stringify({ format: FORMAT, fingerprint, entries }));
    } catch {
      /* an unwritable cache only costs speed */
    }
  });
}

/** The `require` a module's code receives, as Node makes it. */
function requireFor(Module: ModuleInternals, mod: ModuleLike): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: { paths?: string[] }) => Module._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => Module._resolveLookupPaths(request, mod);
  req.resolve = resolve;
  req.main = require.main;
  req.extensions = Module._extensions as NodeJS.RequireExtensions;
  req.cache = Module._cache as NodeJS.Dict<NodeJS.Module>;
  return req;
}

/**
 * The directory of runctl's start-up caches, or undefined when it is not this user's
 * alone: what is read from it decides which code runs (a resolution names the file to
 * load; V8 runs cached bytecode), so a directory others can write to is never used. The
 * default is per user — `$XDG_CACHE_HOME/runctl`, `~/.cache/runctl` (Linux),
 * `~/Library/Caches/runctl` (macOS), `%LOCALAPPDATA%\\runctl\\Cache` (Windows) — not the shared
 * temporary directory; RUNCTL_COMPILE_CACHE names another.
 */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let dir = env.RUNCTL_COMPILE_CACHE;
  if (!dir) {
    const home = os.homedir();
    if (env.XDG_CACHE_HOME) dir = path.join(env.XDG_CACHE_HOME, 'runctl');
    else if (!home) return undefined;
    else if (process.platform === 'darwin') dir = path.join(home, 'Library', 'Caches', 'runctl');
    else if (process.platform === 'win32') dir = path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'runctl', 'Cache');
    else dir = path.join(home, '.cache', 'runctl');
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    if (!st.isDirectory()) return undefined;
    if (process.platform !== 'win32') {
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return undefined;
      if ((st.mode & 0o022) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

function enable(): void {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1') return;
  const entry = require.main?.filename ?? __filename;
  const dir = privateCacheDir();
  if (!dir) return;
  try {
    const fingerprint = installFingerprint(entry);
    if (fingerprint) installResolveCache(codeCacheFile(dir, entry, '.resolve.json'), fingerprint);
  } catch {
    /* an unusable cache only costs speed */
  }
  const builtIn = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
  try {
    if (typeof builtIn === 'function') {
      builtIn(path.join(dir, 'node'));
      return;
    }
    // Source maps (--enable-source-maps) are registered by Node's own compile path only.
    if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled || process.execArgv.some((a) => a.startsWith('--enable-source-maps'))) return;
    installCodeCache(codeCacheFile(dir, entry));
  } catch {
    /* an unusable cache only costs speed */
  }
}

enable();
