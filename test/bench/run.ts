/**
 * `npm run bench`: runctl against the emulator with realistic latency and Cloud Run's
 * write quota. Prints a Markdown table and writes `bench-results/latest.md` and
 * `bench-results/latest.json`. Benchmarks, not tests: nothing here fails on a timing.
 *
 * Budget (2 cores, 10 minutes): the two runs that are slow by nature — the default
 * apply of 1000 Services (quota-bound: about six minutes of 180 writes a minute) and
 * the sequential apply of 100 (100 operations of 2 s one after the other) — run at the
 * same time against separate emulators; both spend nearly all their time waiting.
 * The sequential apply of 1000 would take over half an hour and is not run.
 *
 * Flags: `--quick` (N = 10 and 100 only), `--out DIR` (default `bench-results`),
 * `--only SECTIONS` (comma-separated, default all): `apply` (applies and no-op plans),
 * `startup` (cold one-shot commands), `watch` (save to first write), `memory`;
 * `--node MAJORS` (comma-separated, e.g. `22,24`): also time the start-up commands with
 * those Node.js versions (installed from the npm registry's `node` package on first use).
 * `npm run bench -- --only startup,watch` takes about a minute.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_PARALLELISM } from '../../src/engine/limit';
import { BENCH_REGION } from './manifests';
import { DIST } from './procs';
import { machine, markdown, type BenchReport } from './report';
import { applyFleet, memory, REALISTIC, type ApplyRun, type NoopRun } from './scenarios';
import { nodeOfMajor, startupTimes } from './startup';
import { watchLatency } from './watch';

const SECTIONS = ['apply', 'startup', 'watch', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

/** The sections `--only` selects (all without it). */
function sections(argv: string[]): Set<Section> {
  const i = argv.indexOf('--only');
  if (i < 0) return new Set(SECTIONS);
  const asked = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (!asked.length || unknown.length) throw new Error(`--only: expected some of ${SECTIONS.join(',')}, got "${argv[i + 1] ?? ''}"`);
  return new Set(asked as Section[]);
}

/** The Node.js majors `--node` asks for besides the running one. */
function otherNodes(argv: string[]): string[] {
  const i = argv.indexOf('--node');
  if (i < 0) return [];
  const majors = (argv[i + 1] ?? '').split(',').filter(Boolean);
  if (!majors.length || majors.some((m) => !/^\d+$/.test(m))) throw new Error(`--node: expected major versions such as 22,24, got "${argv[i + 1] ?? ''}"`);
  return majors.filter((m) => `v${m}` !== process.version.split('.')[0]);
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const outIdx = argv.indexOf('--out');
  const outDir = path.resolve(outIdx >= 0 ? argv[outIdx + 1] : 'bench-results');
  const only = sections(argv);
  const root = path.resolve(DIST, '..');
  const started = Date.now();
  const apply: ApplyRun[] = [];
  const noop: NoopRun[] = [];
  const notes: string[] = [];
  const w = REALISTIC;

  const one = async (n: number, par: number | 'default', withNoop = false) => {
    log(`apply of ${n} services, parallelism ${par}`);
    const r = await applyFleet(w, n, par, { noop: withNoop });
    log(`  ${(r.apply.result.ms / 1000).toFixed(2)} s (limit ${(r.apply.limit.ms / 1000).toFixed(2)} s)`);
    return r;
  };
  const keep = (r: Awaited<ReturnType<typeof one>>) => {
    apply.push(r.apply);
    noop.push(...r.noop);
  };

  if (!only.has('apply')) {
    // Nothing to run here.
  } else if (quick) {
    keep(await one(10, 'default'));
    keep(await one(100, 'default', true));
    keep(await one(10, 1));
    keep(await one(100, 1));
    notes.push('`--quick`: N = 1000 not run.');
  } else {
    keep(await one(10, 'default'));
    keep(await one(100, 'default', true));
    keep(await one(10, 1));
    // The two long, mostly idle runs side by side (see the header comment).
    const [big, seq] = await Promise.all([one(1000, 'default', true), one(100, 1)]);
    keep(big);
    keep(seq);
    notes.push('The default apply of 1000 and the `--parallelism 1` apply of 100 ran at the same time against separate emulators, to fit the 10-minute budget; the sequential apply of 1000 (about 35 minutes) was not run. The sequential time per service at N = 100 next to the one at N = 10, which ran alone, shows how much they disturbed each other.');
  }

  let startup: BenchReport['startup'];
  if (only.has('startup')) {
    log(`start-up of one-shot commands, Node ${process.version}`);
    startup = [await startupTimes(path.join(root, 'manifests'))];
    for (const major of otherNodes(argv)) {
      const node = nodeOfMajor(major, log);
      log(`start-up of one-shot commands, Node ${major}`);
      startup.push(await startupTimes(path.join(root, 'manifests'), undefined, node));
    }
  }
  let watch: BenchReport['watch'];
  if (!only.has('watch')) {
    // not asked for
  } else if (fs.existsSync(path.join(DIST, 'src', 'cli', 'commands', 'watch.js'))) {
    log('watch latency');
    watch = await watchLatency(w);
  } else {
    watch = { unavailable: 'this build has no `runctl watch`' };
  }
  let mem: Awaited<ReturnType<typeof memory>> | undefined;
  if (only.has('memory')) {
    log('memory: plan of 5000 services');
    mem = await memory(5000);
  }

  const byN = (n: number, par: number | 'default') => apply.find((a) => a.n === n && a.parallelism === par);
  const speedup = [10, 100].flatMap((n) => {
    const d = byN(n, 'default');
    const q = byN(n, 1);
    return d && q ? [{ n, defaultMs: d.result.ms, sequentialMs: q.result.ms, ratio: q.result.ms / d.result.ms }] : [];
  });
  for (const n of [10, 100]) {
    const q = byN(n, 1);
    if (q) notes.push(`\`--parallelism 1\`, N = ${n}: ${(q.result.ms / n / 1000).toFixed(2)} s per service.`);
  }
  const refused = apply.filter((a) => (a.calls['Services.CreateService'] ?? 0) !== a.n);
  if (only.has('apply'))
    notes.push(
    refused.length
      ? `Some creates were refused by the quota and retried: ${refused.map((a) => `N = ${a.n}: ${a.calls['Services.CreateService']} CreateService calls`).join(', ')}.`
      : 'CreateService = N in every apply: the client-side rate limiter kept every write under the quota (a 429 would have been retried and counted).',
  );
  if (only.has('apply')) notes.push('Wall time: the verb from its call to its return in a warm process (the worker first applied one Service to a scratch emulator of its own, paying the one-time costs of a fresh process — see the cold-start row — as a long-running `watch` or `sync` has on every pass after its first). In brackets: from the start of the worker process, warm-up included.');

  const report: BenchReport = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: machine(),
    world: { ...w, defaultParallelism: DEFAULT_PARALLELISM },
    durationS: (Date.now() - started) / 1000,
    apply,
    speedup,
    noop,
    startup,
    watch,
    memory: mem && { n: mem.n, regions: mem.regions, peakRssMiB: mem.result.peakRssMiB, ms: mem.result.ms },
    notes,
  };
  const md = markdown(report, BENCH_REGION);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.md'), md);
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(md);
  log(`wrote ${path.relative(process.cwd(), outDir)}/latest.md and latest.json in ${report.durationS.toFixed(0)} s`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
