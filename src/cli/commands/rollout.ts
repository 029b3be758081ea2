/**
 * `rollout status|promote|abort|undo SERVICE [-f PATH]`: progressive delivery by hand.
 * The service is found by name in the manifests given with -f (its project, region and
 * gate come from there), or else by name in every region of the project (--region
 * narrows it; the gate then comes from the record on the service).
 */
import type { RolloutCapability } from '../../engine/controller';
import type { RolloutReport } from '../../engine/rollout';
import { RunctlError } from '../../engine/types';
import { checkRolloutNamed, locateRollout, rolloutAct, rolloutStatus, ROLLOUT_ACTIONS, type RolloutAction } from '../../lib/actions/rollout';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { describeTarget } from '../../lib/target';
import { humanDuration } from '../../util/duration';
import { askActionConsent, requireConsentPossible } from '../consent';
import type { Style } from '../render';
import { withSession, type GlobalFlags } from './common';

export interface RolloutFlags extends GlobalFlags {
  filename?: string[];
  /** Consent up front for promote/abort/undo on real Google Cloud. */
  yes?: boolean;
}

export async function rolloutCommand(action: string, service: string, flags: RolloutFlags, io: Io): Promise<number> {
  if (!(ROLLOUT_ACTIONS as readonly string[]).includes(action)) {
    throw new RunctlError('Usage', `unknown rollout action "${action}"; use one of ${ROLLOUT_ACTIONS.join(', ')}`, { source: 'user' });
  }
  const manifests = flags.filename?.length ? await loadValid(flags.filename, io, { flags, identitiesOnly: true }) : [];
  checkRolloutNamed(service, manifests);
  if (action !== 'status') requireConsentPossible(describeTarget(flags, io), flags, io, `rollout ${action}`);
  return withSession(flags, io, async (o) => {
    const subject = await locateRollout(o, { name: service, manifests, region: flags.region, signal: io.signal });
    const { kind, id, rollout } = subject;
    if (action === 'status') {
      const report = await rolloutStatus(subject);
      if (flags.output === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else io.stdout.write(renderReport(report, o.style, `${id.project}/${id.region}`, rollout, kind));
      return 0;
    }
    await askActionConsent(`${action} the rollout of ${kind}/${service} (${id.region})`, o.target.info, id.project, flags, io, `rollout ${action}`);
    const result = await rolloutAct(subject, action as Exclude<RolloutAction, 'status'>);
    if (flags.output === 'json') io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else io.stdout.write(`${result.changed ? o.style.green('✓') : o.style.dim('=')} ${kind}/${service}: ${result.message}\n`);
    return 0;
  });
}

/** `rollout status` for people. */
export function renderReport(r: RolloutReport, s: Style, where: string, rollout: Pick<RolloutCapability, 'describeGate'>, kind: string): string {
  const name = r.service.split('/').pop();
  const lines = [s.bold(`${kind}/${name}`) + ` ${s.dim(`[${where}]`)}`];
  const rec = r.record;
  if (!rec) lines.push('Rollout: none recorded (no template change under spec.rollout yet)');
  else {
    const state = r.active ? rec.phase : rec.phase === 'progressing' || rec.phase === 'holding' ? `superseded (latest revision is ${r.latestRevision})` : rec.phase;
    const at = `step ${rec.step}/${rec.steps.length}`;
    const step = !rec.step ? 'not started (no traffic yet)' : r.active ? `${at} (${rec.percent}% on the new revision)` : `ended at ${at}`;
    lines.push(`Rollout of ${rec.revision ?? r.latestRevision}: ${colour(state, s)}, ${step}`);
    lines.push(`  good: ${rec.good} · steps ${rec.steps.map((p) => `${p}%`).join(' → ')} · interval ${humanDuration(rec.intervalSeconds)} · started ${rec.startedAt}`);
    if (rec.stepStartedAt && r.active) lines.push(`  current step since ${rec.stepStartedAt}`);
    lines.push(`  gate: ${rollout.describeGate(rec.gate)} · at least ${rec.gate.minRequests} requests per step, else ${rec.gate.onNoData}`);
    if (rec.last) lines.push(`  last check (${rec.last.verdict}, ${rec.last.at}): ${rec.last.summary}`);
    if (r.now) lines.push(`  now (${r.now.verdict}, since ${r.now.since}): ${r.now.summary}`);
    if (rec.message && !(rec.last && rec.message.includes(rec.last.summary))) lines.push(`  ${rec.message}`);
  }
  lines.push('Traffic:');
  const width = Math.max(...r.traffic.map((t) => t.revision.length), 8);
  for (const t of r.traffic) lines.push(`  ${t.revision.padEnd(width)}  ${String(t.percent).padStart(3)}%${t.tag ? `  ${t.tag}` : ''}`);
  return lines.join('\n') + '\n';
}

function colour(state: string, s: Style): string {
  if (state === 'succeeded') return s.green(state);
  if (state === 'failed' || state === 'aborted') return s.red(state);
  return s.yellow(state);
}
