/**
 * Expanding `-f` arguments into manifest files: files as given, directories recursively
 * (`*.yaml`, `*.yml`, sorted, skipping dot-directories and node_modules).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const MANIFEST_EXT = /\.ya?ml$/i;
const SKIP_DIRS = new Set(['node_modules']);

/** A source to read: a file path as it should be shown, or `-` for standard input. */
export interface Source {
  /** Shown in diagnostics: relative paths stay relative to the working directory. */
  display: string;
  /** Absolute path, or `-`. */
  abs: string;
}

export type Expanded = { sources: Source[]; missing: string[] };

/** Expand arguments into sources; duplicates (same absolute path) are read once. */
export async function expandPaths(args: string[], cwd: string): Promise<Expanded> {
  const sources: Source[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const add = (s: Source): void => {
    if (seen.has(s.abs)) return;
    seen.add(s.abs);
    sources.push(s);
  };
  for (const arg of args) {
    if (arg === '-') {
      add({ display: '-', abs: '-' });
      continue;
    }
    const abs = path.resolve(cwd, arg);
    const stat = await fsp.stat(abs).catch(() => undefined);
    if (!stat) missing.push(arg);
    else if (stat.isDirectory()) for (const rel of await walk(abs)) add({ display: path.join(arg, rel), abs: path.join(abs, rel) });
    else add({ display: arg, abs });
  }
  return { sources, missing };
}

/** Manifest files under `dir`, as sorted relative paths. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const child = path.join(rel, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) out.push(...(await walk(dir, child)));
    } else if ((e.isFile() || e.isSymbolicLink()) && MANIFEST_EXT.test(e.name) && !e.name.startsWith('.')) {
      out.push(child);
    }
  }
  return out;
}
