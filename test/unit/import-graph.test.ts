/**
 * The layer rule, enforced: every relative import in `src/` and `controllers/` runs from
 * a higher layer to a lower one (or stays inside its own layer), and no chain of imports
 * comes back to where it started. Type-only imports count too: a type is a dependency.
 *
 *   cli ─ loop ─ lib ─ controllers ─ engine ─ validate ─ load, gcp ─ util
 *   emulator: beside them all, importing only util; reached only from lib and cli.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';

interface Layer {
  name: string;
  /** Path prefixes (relative to the package root) of the files in this layer. */
  paths: string[];
  /** Higher ranks may import lower ranks; equal ranks only within the same layer. */
  rank: number;
  /** When set, the only other layers this one may import. */
  only?: string[];
}

/** Lowest first. Keep in step with README.md "Architecture". */
export const LAYERS: Layer[] = [
  { name: 'util', paths: ['src/util/', 'src/package-root.ts'], rank: 0 },
  { name: 'load', paths: ['src/load/'], rank: 1 },
  { name: 'gcp', paths: ['src/gcp/'], rank: 1 },
  { name: 'validate', paths: ['src/validate/'], rank: 2 },
  { name: 'engine', paths: ['src/engine/'], rank: 3 },
  { name: 'controllers', paths: ['controllers/'], rank: 4 },
  // The emulator is a product of its own: it knows nothing of runctl above util, and only
  // the shells that start it (the embedded target, `runctl emulator`) know of it.
  { name: 'emulator', paths: ['src/emulator/'], rank: 4, only: ['util'] },
  { name: 'lib', paths: ['src/lib/'], rank: 5 },
  { name: 'loop', paths: ['src/loop/'], rank: 6 },
  { name: 'cli', paths: ['src/cli/'], rank: 7 },
];

const root = packageRoot();

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The runctl files a file imports (relative specifiers only; packages are not layers). */
function importsOf(file: string, known: Set<string>): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), ref.fileName)).replace(/\.(js|ts)$/, '');
    const hit = [`${base}.ts`, `${base}/index.ts`].find((c) => known.has(c));
    if (!hit) throw new Error(`${file}: cannot resolve import "${ref.fileName}"`);
    out.push(hit);
  }
  return [...new Set(out)];
}

export function layerOf(file: string): Layer {
  const l = LAYERS.find((x) => x.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
  if (!l) throw new Error(`${file} belongs to no layer: add it to LAYERS (and to README.md "Architecture")`);
  return l;
}

/** Whether `from` may import `to`. */
export function allowed(from: Layer, to: Layer): boolean {
  if (from === to) return true;
  if (from.only) return from.only.includes(to.name);
  if (to.only && to.name === 'emulator') return from.rank > to.rank;
  return from.rank > to.rank;
}

/** Every elementary cycle found by a depth-first walk (each reported once, from its first file). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g]);
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

const files = [...sourceFiles('src'), ...sourceFiles('controllers')].sort();
const known = new Set(files);
const graph = new Map(files.map((f) => [f, importsOf(f, known)]));

describe('import graph', () => {
  it('reads a graph of the whole tree', () => {
    // Guards against a walk that silently finds nothing.
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('src/cli/main.ts')!.length).toBeGreaterThan(0);
  });

  it('every file belongs to a layer', () => {
    expect(files.filter((f) => { try { layerOf(f); return false; } catch { return true; } })).toEqual([]);
  });

  it('no import runs from a lower layer to a higher one', () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) if (!allowed(layerOf(f), layerOf(d))) upward.push(`${f} (${layerOf(f).name}) -> ${d} (${layerOf(d).name})`);
    }
    expect(upward).toEqual([]);
  });

  it('no import cycle', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    const cli = LAYERS.find((l) => l.name === 'cli')!;
    const engine = LAYERS.find((l) => l.name === 'engine')!;
    const emulator = LAYERS.find((l) => l.name === 'emulator')!;
    expect(allowed(cli, engine)).toBe(true);
    expect(allowed(engine, cli)).toBe(false);
    expect(allowed(emulator, engine)).toBe(false);
    expect(allowed(LAYERS.find((l) => l.name === 'load')!, LAYERS.find((l) => l.name === 'gcp')!)).toBe(false);
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });
});
