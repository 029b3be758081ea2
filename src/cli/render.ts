/**
 * Rendering for people: plans like `terraform plan`, apply summaries, progress lines.
 * Colour only when the output is a terminal (and NO_COLOR is unset).
 */
import type { FieldChange, SubChange } from '../engine/controller';
import type { ExecuteResult } from '../engine/executor';
import type { EngineEvent } from '../engine/events';
import type { Plan, PlanEntry } from '../engine/plan';

export interface Style {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const COLOR: Style = { green: wrap('32'), yellow: wrap('33'), red: wrap('31'), dim: wrap('2'), bold: wrap('1'), cyan: wrap('36') };
export const PLAIN: Style = { green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s, bold: (s) => s, cyan: (s) => s };

export function styleFor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): Style {
  return isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? COLOR : PLAIN;
}

/** A value as one short line (JSON for objects, quoted strings). */
export function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

const SYMBOL: Record<string, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  noop: '=',
  blocked: '!',
  paused: '‖',
  abandon: '-',
};

function colorFor(action: string, s: Style): (t: string) => string {
  switch (action) {
    case 'create': return s.green;
    case 'update': case 'paused': return s.yellow;
    case 'replace': case 'delete': case 'blocked': return s.red;
    default: return s.dim;
  }
}

function renderChange(c: FieldChange, s: Style, indent: string): string {
  switch (c.op) {
    case 'add': return `${indent}${s.green('+')} ${c.path}: ${show(c.new)}`;
    case 'remove': return `${indent}${s.red('-')} ${c.path}: ${show(c.old)}`;
    default: return `${indent}${s.yellow('~')} ${c.path}: ${show(c.old)} → ${show(c.new)}`;
  }
}

function renderChild(c: SubChange, s: Style): string[] {
  const col = colorFor(c.action, s);
  const lines = [`    ${col(SYMBOL[c.action] ?? '?')} ${c.name}${c.action === 'noop' ? s.dim(' (unchanged)') : ` ${s.dim(`(${c.action})`)}`}`];
  for (const ch of c.changes ?? []) lines.push(renderChange(ch, s, '        '));
  for (const n of c.notes ?? []) lines.push(`        ${s.dim(`# ${n}`)}`);
  return lines;
}

export function renderEntry(e: PlanEntry, s: Style): string[] {
  const col = colorFor(e.action, s);
  const label = e.action === 'blocked' ? 'blocked' : e.action === 'abandon' ? 'abandon (stop managing)' : e.action === 'noop' && e.unsettled ? 'not converged; apply changes nothing' : e.action;
  const where = e.identity.region ? ` ${s.dim(`[${e.identity.project}/${e.identity.region}]`)}` : ` ${s.dim(`[${e.identity.project}]`)}`;
  const lines = [`${col(SYMBOL[e.action] ?? '?')} ${s.bold(e.key)}${where} ${col(`(${label}${e.pruned ? ', pruned' : ''})`)}`];
  if (e.reason) lines.push(`    ${s.red(e.reason)}`);
  if (e.unsettled) lines.push(`    ${s.yellow(`! ${e.unsettled}`)}`);
  for (const c of e.changes) lines.push(renderChange(c, s, '    '));
  for (const c of e.children ?? []) lines.push(...renderChild(c, s));
  for (const n of e.notes) lines.push(`    ${s.dim(`# ${n}`)}`);
  if (e.unknown?.length) lines.push(`    ${s.dim(`# (known after apply): ${e.unknown.join(', ')}`)}`);
  if (e.lastModifier && e.exists && e.action !== 'noop' && e.action !== 'delete') lines.push(`    ${s.dim(`# last changed by ${e.lastModifier}`)}`);
  return lines;
}

export function planSummary(plan: Plan): string {
  const n = plan.summary;
  const parts = [`${n.create} to create`, `${n.update + n.replace} to update`, `${n.delete} to delete`];
  if (n.abandon) parts.push(`${n.abandon} to abandon`);
  parts.push(`${n.noop} unchanged`);
  if (n.paused) parts.push(`${n.paused} paused`);
  if (n.blocked) parts.push(`${n.blocked} blocked`);
  return `Plan: ${parts.join(', ')}.`;
}

/** The whole plan for a terminal. */
export function renderPlan(plan: Plan, s: Style, header: string): string {
  const lines = [s.bold(header), `Set: ${plan.set}`, ''];
  const shown = plan.entries.filter((e) => e.action !== 'noop' || e.unsettled);
  if (!shown.length) lines.push(s.green('No changes. The live state matches the manifests.'), '');
  for (const e of shown) lines.push(...renderEntry(e, s), '');
  lines.push(planSummary(plan));
  return lines.join('\n') + '\n';
}

export function renderResults(result: ExecuteResult, s: Style): string {
  const lines: string[] = [''];
  const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0, skipped: 0 };
  for (const r of result.results) {
    if (r.outcome === 'failed') counts.failed++;
    else if (r.outcome === 'skipped') counts.skipped++;
    else if (r.outcome === 'unchanged' || r.outcome === 'paused') counts.unchanged++;
    else if (r.action === 'create') counts.created++;
    else if (r.action === 'delete' || r.action === 'abandon') counts.deleted++;
    else counts.updated++;
  }
  for (const r of result.results) {
    if (r.outcome === 'failed') lines.push(`${s.red('✗')} ${r.key}: ${r.error}`);
    else if (r.outcome === 'skipped') lines.push(`${s.yellow('○')} ${r.key}: ${r.error}`);
    else if (r.status?.fields?.url && r.action !== 'delete') lines.push(`${s.green('✓')} ${r.key}: ${r.status.fields.url}`);
  }
  const summary = `Apply ${result.failed ? s.red('failed') : s.green('complete')}: ${counts.created} created, ${counts.updated} updated, ${counts.deleted} deleted, ${counts.unchanged} unchanged, ${counts.failed} failed, ${counts.skipped} skipped.`;
  lines.push(summary);
  return lines.join('\n') + '\n';
}

/** Progress events as lines (one per step; terminals get colour). */
export function renderEvent(ev: EngineEvent, s: Style): string | undefined {
  if (ev.type === 'info') return ev.message;
  if (ev.type === 'warning') return s.yellow(`warning: ${ev.message}`);
  switch (ev.phase) {
    case 'start': return `${s.cyan('…')} ${ev.key}: ${ev.action === 'create' ? 'creating' : ev.action === 'delete' ? 'deleting' : ev.action === 'abandon' ? 'abandoning' : 'updating'}`;
    case 'progress': return s.dim(`  ${ev.key}: ${ev.message}`);
    case 'retry': return s.yellow(`  ${ev.key}: ${ev.message}`);
    case 'done': return `${s.green('✓')} ${ev.key}: ${ev.action === 'delete' ? 'deleted' : ev.action === 'create' ? 'created' : ev.action === 'abandon' ? 'abandoned' : 'updated'}${ev.elapsedMs !== undefined ? s.dim(` (${(ev.elapsedMs / 1000).toFixed(1)}s)`) : ''}`;
    case 'failed': return `${s.red('✗')} ${ev.key}: ${ev.message}`;
    case 'skipped': return `${s.yellow('○')} ${ev.key}: ${ev.message}`;
  }
  return undefined;
}
