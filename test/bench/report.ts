/** The benchmark report: a Markdown table for people (README) and JSON for machines. */
import * as os from 'node:os';
import { FORMULA } from './physical';
import type { ApplyRun, NoopRun, World } from './scenarios';
import type { StartupResult } from './startup';
import type { WatchResult } from './watch';

export interface BenchReport {
  command: string;
  date: string;
  machine: { cpus: number; model: string; node: string; platform: string };
  world: World & { defaultParallelism: number };
  durationS: number;
  apply: ApplyRun[];
  speedup: Array<{ n: number; defaultMs: number; sequentialMs: number; ratio: number }>;
  noop: NoopRun[];
  /** The running Node.js first, then those of `--node`. */
  startup?: StartupResult[];
  watch?: WatchResult | { unavailable: string };
  memory?: { n: number; regions: number; peakRssMiB: number; ms: number };
  notes: string[];
}

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model?.trim() ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` };
}

const s = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const short = (m: string) => m.replace(/^[A-Za-z]+\./, '');

/** `CreateService 100 · WaitOperation 100 ...`, in a stable order. */
export function callList(calls: Record<string, number>): string {
  return Object.entries(calls)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([m, n]) => `${short(m)} ${n}`)
    .join(' · ');
}

function applyRow(r: ApplyRun): string {
  const par = r.parallelism === 'default' ? 'default' : `--parallelism ${r.parallelism}`;
  const limit = `${s(r.limit.ms)} (${r.limit.bound}, ${r.limit.writes} writes)`;
  return `| apply, ${par} | ${r.n} | ${s(r.result.ms)} (${s(r.result.processMs)}) | ${limit} | ${r.ratio.toFixed(2)}× | ${callList(r.calls)} |`;
}

function noopRow(r: NoopRun, region: string): string {
  const what = r.iamDeclared ? `fleet as applied (${r.iamDeclared} declare IAM)` : 'same fleet, IAM left alone';
  return `| no-op plan, ${what} | ${r.n} | ${s(r.result.ms)} | Service in ${region}: ${callList(r.calls)} |`;
}

const ms = (x: number) => `${Math.round(x)} ms`;

/** Goal column: the goal and whether the median meets it. */
function goal(median: number, goalMs: number | undefined): string {
  if (goalMs === undefined) return '';
  return `< ${ms(goalMs)} ${median < goalMs ? '✓' : '✗'}`;
}

/** The start-up and watch tables: median, min and max of each, against the goals; one table per Node.js. */
export function startupTable(r: Pick<BenchReport, 'startup' | 'watch'>): string[] {
  if (!r.startup?.length && !r.watch) return [];
  const lines: string[] = [];
  const results = r.startup?.length ? r.startup : [undefined];
  for (const [i, st] of results.entries()) {
    if (st && results.length > 1) lines.push(...(i ? [''] : []), `Node ${st.node.version}${st.node.machine ? " (the machine's)" : ''}:`, '');
    lines.push('| Command (cold, a new process each run) | Median | Min | Max | Goal | CPU (user+sys), median |', '|---|---:|---:|---:|---|---:|');
    const node = st?.rows.find((x) => x.command === 'node -e 0');
    for (const x of st?.rows ?? []) {
      const over = x.command === 'runctl --version' && node ? ` (${ms(x.median - node.median)} over bare node)` : '';
      const exit = x.code ? ` (exit ${x.code})` : '';
      lines.push(`| ${x.name}: \`${x.command}\`${exit} | ${ms(x.median)}${over} | ${ms(x.min)} | ${ms(x.max)} | ${goal(x.median, x.goalMs)} | ${ms(x.cpuMedian)} |`);
    }
    // The watch loop runs in the bench's own Node: one row, under the first table.
    if (r.watch && i === 0) {
      lines.push(
        'unavailable' in r.watch
          ? `| watch: save to first write | not available: ${r.watch.unavailable} | | | | |`
          : `| watch: save a manifest → first write reaches the API (${r.watch.fleet} services, default debounce ${r.watch.debounceMs} ms, ${r.watch.trials.length} saves) | ${ms(r.watch.median)} | ${ms(r.watch.min)} | ${ms(r.watch.max)} | ${goal(r.watch.median, 250)} | |`,
      );
    }
    if (st) {
      const [a, b] = st.load;
      lines.push('', `Start-up: ${st.runs} runs of each after one warm-up, the commands taking turns; 1-minute load average ${a.toFixed(2)} before, ${b.toFixed(2)} after (the machine has ${os.cpus().length} cores).`);
      if (st.extraCaCerts && st.node.version.startsWith('v20.')) lines.push(`NODE_EXTRA_CA_CERTS is set (${st.extraCaCerts}): Node 20 reads and parses it at every start, before runctl's code runs — part of every row, bare node included.`);
    }
  }
  return lines;
}

export function markdown(r: BenchReport, region: string): string {
  const w = r.world;
  const lines = [
    `Command: \`${r.command}\` · ${r.date} · ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node} · took ${r.durationS.toFixed(0)} s`,
    '',
    `World (emulator flags): every call ${w.latencyMs} ms, long-running operations ${w.operationMs / 1000} s, Cloud Run quota ${w.writesPerMinute} writes and ${w.readsPerMinute} reads per minute per region (runctl's limiter set to the same). Default parallelism ${w.defaultParallelism}.`,
    '',
    ...startupTable(r),
  ];
  if (r.apply.length) {
    lines.push(
      '',
      '| Scenario | N | Wall time (from worker start) | Physical limit | Ratio | API calls |',
      '|---|---:|---:|---:|---:|---|',
      ...[...r.apply].sort((a, b) => (a.parallelism === 'default' ? 0 : 1) - (b.parallelism === 'default' ? 0 : 1) || a.n - b.n).map(applyRow),
      '',
      ...r.speedup.map((x) => `- N = ${x.n}: the default apply is **${x.ratio.toFixed(1)}×** faster than \`--parallelism 1\` (${s(x.defaultMs)} vs ${s(x.sequentialMs)}).`),
      '',
      '| No-op plan | N | Wall time | API calls, per kind and region |',
      '|---|---:|---:|---|',
      ...r.noop.map((x) => noopRow(x, region)),
    );
  }
  if (r.memory) lines.push('', '| Measure | Value |', '|---|---|', `| Peak RSS, \`runctl plan\` of ${r.memory.n} new Services (${r.memory.regions} regions) | ${Math.round(r.memory.peakRssMiB)} MiB (plan took ${s(r.memory.ms)}) |`);
  if (r.apply.length) lines.push('', 'Physical limit (L = call latency, T_op = operation time):', '', ...FORMULA.map((f) => `    ${f}`));
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
