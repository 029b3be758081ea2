/**
 * A package registry on loopback that serves exactly what `package-lock.json` pins, with
 * the tarballs taken from the local npm cache (content-addressed by their integrity).
 *
 * Why: installing a packed tarball (`npm install ./runctl-0.1.0.tgz`) makes npm resolve
 * the package's dependency ranges, which needs the registry's package documents
 * ("packuments"). `npm ci` fetches only tarballs, so after it the cache holds every
 * tarball but no packument, and `npm install --offline` fails with ENOTCACHED. npm
 * ignores a shrinkwrap inside a local tarball, so no file in the package can help. This
 * registry answers those documents from the lockfile instead: the install runs npm's
 * real resolution, with no network beyond 127.0.0.1 — and every version it can resolve
 * is one the lockfile pins, i.e. one the test suite ran against.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** One `packages` entry of a lockfile (v2/v3), as far as a packument needs it. */
interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  link?: boolean;
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string> | string[];
  os?: string[];
  cpu?: string[];
  license?: string;
  deprecated?: string;
  hasInstallScript?: boolean;
}

export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/`, for `--registry`. */
  url: string;
  /** Requests answered, by kind (for assertions that the install went through it). */
  served: { packuments: number; tarballs: number; missing: string[] };
  close(): Promise<void>;
}

/** Where cacache (npm's cache) keeps the content with this integrity, if it has it. */
export function cachedContentPath(cacheDir: string, integrity: string): string | undefined {
  for (const one of integrity.trim().split(/\s+/)) {
    const m = /^(sha\d+)-(.+)$/.exec(one);
    if (!m) continue;
    const hex = Buffer.from(m[2], 'base64').toString('hex');
    const p = path.join(cacheDir, 'content-v2', m[1], hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** The package name of a lockfile key (`node_modules/a/node_modules/@s/b` → `@s/b`). */
function nameOf(key: string, entry: LockEntry): string {
  return entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

const PACKUMENT_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'license', 'deprecated', 'hasInstallScript'] as const;

/** Start the registry for a lockfile and an npm cache directory. */
export async function startLocalRegistry(opts: { lockfile: string; cacheDir: string }): Promise<LocalRegistry> {
  const lock = JSON.parse(fs.readFileSync(opts.lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  /** name → version → entry; and tarball path → content file. */
  const versions = new Map<string, Map<string, LockEntry>>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.link || entry.inBundle || !entry.version || !entry.integrity) continue;
    const name = nameOf(key, entry);
    if (!versions.has(name)) versions.set(name, new Map());
    versions.get(name)!.set(entry.version, entry);
  }
  const served = { packuments: 0, tarballs: 0, missing: [] as string[] };
  let base = '';
  const tarballPath = (name: string, version: string) => `/${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
  const tarballs = new Map<string, string>();
  for (const [name, byVersion] of versions) {
    for (const [version, entry] of byVersion) tarballs.set(tarballPath(name, version), entry.integrity!);
  }

  function packument(name: string): object | undefined {
    const byVersion = versions.get(name);
    if (!byVersion) return undefined;
    const docs: Record<string, object> = {};
    for (const [version, entry] of byVersion) {
      const doc: Record<string, unknown> = { name, version, dist: { tarball: `${base}${tarballPath(name, version).slice(1)}`, integrity: entry.integrity } };
      for (const f of PACKUMENT_FIELDS) if (entry[f] !== undefined) doc[f] = entry[f];
      docs[version] = doc;
    }
    // The newest pinned version is `latest`: only ranges, never tags, reach this registry.
    const latest = [...byVersion.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop()!;
    return { name, 'dist-tags': { latest }, versions: docs };
  }

  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const integrity = tarballs.get(url);
    if (integrity) {
      const file = cachedContentPath(opts.cacheDir, integrity);
      if (file) {
        served.tarballs++;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        fs.createReadStream(file).pipe(res);
        return;
      }
    } else {
      const doc = packument(url.slice(1));
      if (doc) {
        served.packuments++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
        return;
      }
    }
    served.missing.push(url);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // npm keeps its connections alive; they hold close() until dropped.
        server.closeAllConnections();
      }),
  };
}
