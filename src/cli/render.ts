/**
 * Rendering for people: plans like `terraform plan`, apply summaries, progress lines.
 * Colour only when the output is a terminal (and NO_COLOR is unset).
 */
import type { FieldChange, SubChange } from '../engine/controller';
import type { ExecuteResult } from '../engine/executor';
import type { EngineEvent } from '../engine/events';
import type { Plan, PlanEntry } from '../engine/plan';
import { redact } from '../engine/redact';
import { MIN_WRAP, type Style } from '../lib/style';

export type { Style };

/**
 * A value as JSON (strings quoted), always whole: a reviewer must be able to read every
 * value of a plan (an attestor name, an image digest), so nothing is ever cut short.
 */
export function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  return JSON.stringify(v);
}

/** Where a long value may break: after a comma or a space, so JSON stays legible. */
function breakAt(text: string, room: number): number {
  if (text.length <= room) return text.length;
  const cut = Math.max(text.lastIndexOf(',', room - 1), text.lastIndexOf(' ', room - 1));
  return cut > room / 3 ? cut + 1 : room;
}

/**
 * Lay out `head` + `value` within `width` columns: the value continues on lines indented
 * by `cont`, never cut. `headWidth` is the visible length of `head` (it may hold colour
 * codes). Without a width (not a terminal) it is one line, however long.
 */
export function fitValue(head: string, headWidth: number, value: string, cont: string, width: number | undefined): string[] {
  if (!width || headWidth + value.length <= width) return [`${head}${value}`];
  const lines: string[] = [];
  let rest = value;
  let room = Math.max(width - headWidth, MIN_WRAP / 2);
  let prefix = head;
  while (rest.length) {
    const n = breakAt(rest, room);
    lines.push(`${prefix}${rest.slice(0, n).trimEnd()}`);
    rest = rest.slice(n).trimStart();
    prefix = cont;
    room = Math.max(width - cont.length, MIN_WRAP / 2);
  }
  return lines;
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

/** What a sensitive change shows instead of its values (see `FieldChange.sensitive`). */
function hidden(c: FieldChange): string {
  return c.op === 'add' ? '(sensitive)' : c.op === 'remove' ? '(removed)' : '(changed)';
}

function renderChange(c: FieldChange, s: Style, indent: string): string[] {
  const [sym, value] =
    c.op === 'add' ? [s.green('+'), c.sensitive ? hidden(c) : show(c.new)] : c.op === 'remove' ? [s.red('-'), c.sensitive ? hidden(c) : show(c.old)] : [s.yellow('~'), c.sensitive ? hidden(c) : `${show(c.old)} → ${show(c.new)}`];
  const headWidth = indent.length + 2 + c.path.length + 2;
  return fitValue(`${indent}${sym} ${c.path}: `, headWidth, value, `${indent}    `, s.width);
}

function renderChild(c: SubChange, s: Style): string[] {
  const col = colorFor(c.action, s);
  const lines = [`    ${col(SYMBOL[c.action] ?? '?')} ${c.name}${c.action === 'noop' ? s.dim(' (unchanged)') : ` ${s.dim(`(${c.action})`)}`}`];
  for (const ch of c.changes ?? []) lines.push(...renderChange(ch, s, '        '));
  for (const n of c.notes ?? []) lines.push(`        ${s.dim(`# ${n}`)}`);
  return lines;
}

/** How a plan names an entry runctl does not own that matches its manifest. */
function unownedLabel(u: NonNullable<PlanEntry['unowned']>): string {
  const who = u.owner.startsWith('runctl set') ? `managed by ${u.owner}` : 'not managed by runctl';
  return u.adoptable ? `${who}; apply --adopt takes it over, labels only` : `${who}; its labels cannot change in place, so it is left as it is`;
}

export function renderEntry(e: PlanEntry, s: Style): string[] {
  const col = colorFor(e.action, s);
  const label =
    e.action === 'blocked' ? 'blocked'
    : e.action === 'abandon' ? 'abandon (stop managing)'
    : e.action === 'noop' && e.unsettled ? 'not converged; apply changes nothing'
    : e.action === 'noop' && e.unowned ? unownedLabel(e.unowned)
    : e.action;
  const where = e.identity.region ? ` ${s.dim(`[${e.identity.project}/${e.identity.region}]`)}` : ` ${s.dim(`[${e.identity.project}]`)}`;
  const lines = [`${col(SYMBOL[e.action] ?? '?')} ${s.bold(e.key)}${where} ${col(`(${label}${e.pruned ? ', pruned' : ''})`)}`];
  if (e.reason) lines.push(`    ${s.red(e.reason)}`);
  if (e.unsettled) lines.push(`    ${s.yellow(`! ${e.unsettled}`)}`);
  for (const c of e.changes) lines.push(...renderChange(c, s, '    '));
  for (const c of e.children ?? []) lines.push(...renderChild(c, s));
  for (const n of e.notes) lines.push(`    ${s.dim(`# ${n}`)}`);
  if (e.unknown?.length) lines.push(`    ${s.dim(`# (known after apply): ${e.unknown.join(', ')}`)}`);
  // runctl's own last change is no news: name the writer only when someone else changed it.
  if (e.lastModifier && !e.lastModifiedByRunctl && e.exists && e.action !== 'noop' && e.action !== 'delete') lines.push(`    ${s.dim(`# last changed by ${e.lastModifier}`)}`);
  return lines;
}

/** Which verb a plan or its results belong to: `delete` plans say what they remove. */
export interface RenderOptions {
  /** @default 'apply' */
  verb?: 'apply' | 'delete';
}

export function planSummary(plan: Plan, opts: RenderOptions = {}): string {
  const n = plan.summary;
  if (opts.verb === 'delete') {
    const parts = [`${n.delete} to delete`];
    if (n.abandon) parts.push(`${n.abandon} to abandon`);
    parts.push(`${n.noop} already absent`);
    if (n.blocked) parts.push(`${n.blocked} blocked`);
    return `Plan: ${parts.join(', ')}.`;
  }
  const parts = [`${n.create} to create`, `${n.update + n.replace} to update`, `${n.delete} to delete`];
  if (n.abandon) parts.push(`${n.abandon} to abandon`);
  const unowned = plan.entries.filter((e) => e.action === 'noop' && e.unowned).length;
  parts.push(`${n.noop} unchanged${unowned ? ` (${unowned} not managed by runctl)` : ''}`);
  if (n.paused) parts.push(`${n.paused} paused`);
  if (n.blocked) parts.push(`${n.blocked} blocked`);
  return `Plan: ${parts.join(', ')}.`;
}

/** The line a plan without actions shows instead of entries. */
function nothingToDo(plan: Plan, opts: RenderOptions): string {
  if (opts.verb !== 'delete') return 'No changes. The live state matches the manifests.';
  const n = plan.entries.length;
  return n === 1
    ? `Nothing to delete: ${plan.entries[0].key} does not exist.`
    : `Nothing to delete: none of the ${n} resources the manifests name exists.`;
}

/** The whole plan for a terminal. */
export function renderPlan(plan: Plan, s: Style, header: string, opts: RenderOptions = {}): string {
  const lines = [s.bold(header), `Set: ${plan.set}`, ''];
  const differs = plan.entries.filter((e) => e.action !== 'noop' || e.unsettled);
  // Not runctl's but matching: no change, yet worth saying it is not managed.
  const shown = plan.entries.filter((e) => e.action !== 'noop' || e.unsettled || e.unowned);
  if (!differs.length) lines.push(s.green(nothingToDo(plan, opts)), '');
  for (const e of shown) lines.push(...renderEntry(e, s), '');
  lines.push(planSummary(plan, opts));
  return lines.join('\n') + '\n';
}

type Result = ExecuteResult['results'][number];

/** What happened to a resource, as a past participle (`created`), or undefined when nothing did. */
function outcomeWord(r: Result): string | undefined {
  // A write another process had already made: say so, never "created"/"updated".
  if (r.outcome === 'unchanged') return r.note ? `unchanged: ${r.note}` : 'unchanged';
  if (r.outcome !== 'applied') return undefined;
  if (r.note) return r.note;
  switch (r.action) {
    case 'create': return 'created';
    case 'delete': return 'deleted';
    case 'abandon': return 'abandoned: no longer managed';
    case 'replace': return 'replaced';
    default: return 'updated';
  }
}

/** One line per resource that was written (and per unchanged one with an address), failed or skipped. */
function resultLine(r: Result, s: Style): string | undefined {
  if (r.outcome === 'failed') return `${s.red('✗')} ${r.key}: ${redact(r.error ?? '')}`;
  if (r.outcome === 'skipped') return `${s.yellow('○')} ${r.key}: ${redact(r.error ?? '')}`;
  const word = outcomeWord(r);
  const gone = r.action === 'delete' || r.action === 'abandon';
  const url = gone ? undefined : (r.status?.fields?.url as string | undefined);
  // What the controller says to do next (e.g. DNS records), indented under the line.
  const notes = gone ? '' : (r.status?.notes ?? []).map((n) => `\n    ${s.dim(n)}`).join('');
  if (!word || (word === 'unchanged' && !url && !notes)) return undefined;
  if (r.note && r.outcome === 'unchanged') return `${s.dim('=')} ${r.key} ${s.dim(`(${word})`)}${url ? `: ${url}` : ''}${notes}`;
  return `${s.green('✓')} ${r.key} ${s.dim(`(${word})`)}${url ? `: ${url}` : ''}${notes}`;
}

export function renderResults(result: ExecuteResult, s: Style, opts: RenderOptions = {}): string {
  const lines: string[] = [''];
  const counts = { created: 0, updated: 0, deleted: 0, abandoned: 0, unchanged: 0, failed: 0, skipped: 0 };
  for (const r of result.results) {
    if (r.outcome === 'failed') counts.failed++;
    else if (r.outcome === 'skipped') counts.skipped++;
    else if (r.outcome === 'unchanged' || r.outcome === 'paused') counts.unchanged++;
    else if (r.action === 'create' && !r.note) counts.created++;
    else if (r.action === 'delete') counts.deleted++;
    else if (r.action === 'abandon') counts.abandoned++;
    else counts.updated++;
  }
  for (const r of result.results) {
    const line = resultLine(r, s);
    if (line) lines.push(line);
  }
  const verb = opts.verb === 'delete' ? 'Delete' : 'Apply';
  const state = result.failed ? s.red('failed') : s.green('complete');
  const abandoned = counts.abandoned ? `, ${counts.abandoned} abandoned` : '';
  const tally =
    opts.verb === 'delete'
      ? `${counts.deleted} deleted${abandoned}, ${counts.unchanged} already absent, ${counts.failed} failed, ${counts.skipped} skipped`
      : `${counts.created} created, ${counts.updated} updated, ${counts.deleted + counts.abandoned} deleted, ${counts.unchanged} unchanged, ${counts.failed} failed, ${counts.skipped} skipped`;
  lines.push(`${verb} ${state}: ${tally}.`);
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
    case 'done': return `${s.green('✓')} ${ev.key}: ${ev.message ? `unchanged (${ev.message})` : ev.action === 'delete' ? 'deleted' : ev.action === 'create' ? 'created' : ev.action === 'abandon' ? 'abandoned' : 'updated'}${ev.elapsedMs !== undefined ? s.dim(` (${(ev.elapsedMs / 1000).toFixed(1)}s)`) : ''}`;
    case 'failed': return `${s.red('✗')} ${ev.key}: ${ev.message}`;
    case 'skipped': return `${s.yellow('○')} ${ev.key}: ${ev.message}`;
  }
  return undefined;
}
