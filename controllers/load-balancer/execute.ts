/**
 * Carrying out a LoadBalancer's steps with the Compute clients, one call at a time in
 * plan order, waiting for each operation (and failing on one that ends with an error).
 * Every mutation carries a `requestId`; patches and updates carry the fingerprint read
 * when planning (a stale one is a 412, which the engine turns into re-read and re-plan).
 */
import { randomUUID } from 'node:crypto';
import type { ApplyContext } from '../../src/engine/controller';
import { RunctlError } from '../../src/engine/types';
import { apiError, isAlreadyExists, isConflict, isNotFound } from '../../src/gcp/errors';
import { requestIdOf, waitOperation } from '../lib/compute-ops';
import type { LiveModel } from './model';
import { API } from './observe';
import type { Op, Step } from './steps';

const VERB: Record<Op['op'], string> = {
  insert: 'creating', delete: 'deleting', patch: 'patching', update: 'updating', setUrlMap: 'pointing at a new URL map:',
  setSslCertificates: 'attaching certificates to', setTarget: 'pointing at a new proxy:', setLabels: 'labelling', refuse: 'refusing',
};

/** Executes steps for one load balancer in one project. */
export class StepRunner {
  /**
   * Request IDs are derived from the resource, the call and its body, plus a salt
   * fixed for this apply: retries of a call inside the apply (by the client transport
   * or the retry wrapper) reuse the ID and are deduplicated by the server, while a later
   * apply that must create the same resource again (say httpsRedirect was switched off
   * and on) does not replay the old operation, which Compute remembers for a while.
   */
  private readonly salt = randomUUID();
  /** Fingerprints read when planning; forgotten once a resource has been changed. */
  private readonly fingerprints = new Map<string, { fingerprint?: string; labelFingerprint?: string }>();

  constructor(private readonly ctx: ApplyContext, private readonly project: string, live: LiveModel) {
    for (const s of live.subs) this.fingerprints.set(`${s.kind}/${s.region ?? ''}/${s.name}`, { fingerprint: s.raw.fingerprint, labelFingerprint: s.raw.labelFingerprint });
  }

  async run(steps: Step[]): Promise<void> {
    for (const step of steps) for (const op of step.ops) await this.call(step, op);
  }

  private client(step: Step): any {
    return this.ctx.clients.compute(API[step.kind].client as any);
  }

  /** Fingerprints as the server has them now (read again after this apply changed the resource). */
  private async current(step: Step): Promise<{ fingerprint?: string; labelFingerprint?: string }> {
    const key = `${step.kind}/${step.region ?? ''}/${step.name}`;
    const known = this.fingerprints.get(key);
    if (known) return known;
    const [raw] = await this.client(step).get(this.where(step));
    return { fingerprint: raw.fingerprint, labelFingerprint: raw.labelFingerprint };
  }

  private where(step: Step): Record<string, string> {
    const w: Record<string, string> = { project: this.project, [API[step.kind].param]: step.name };
    if (step.region) w.region = step.region;
    return w;
  }

  private async call(step: Step, op: Op): Promise<void> {
    const what = `${step.kind} ${step.name}`;
    if (op.op === 'refuse') throw new RunctlError('Refused', op.message, { source: 'user' });
    this.ctx.progress(`${VERB[op.op]} ${what}`);
    const api = API[step.kind];
    const client = this.client(step);
    const requestId = requestIdOf(this.salt, step.kind, step.region, step.name, op);
    const scope = { project: this.project, region: step.region };
    const where = this.where(step);
    let result: unknown;
    try {
      switch (op.op) {
        case 'insert':
          result = await client.insert({ project: this.project, ...(step.region ? { region: step.region } : {}), [api.body]: op.body, requestId });
          break;
        case 'delete':
          result = await client.delete({ ...where, requestId });
          break;
        case 'patch':
          result = await client.patch({ ...where, [api.body]: { ...op.body, fingerprint: (await this.current(step)).fingerprint }, requestId });
          break;
        case 'update':
          result = await client.update({ ...where, [api.body]: { ...op.body, fingerprint: (await this.current(step)).fingerprint }, requestId });
          break;
        case 'setUrlMap':
          result = await client.setUrlMap({ ...where, urlMapReferenceResource: { urlMap: op.urlMap }, requestId });
          break;
        case 'setSslCertificates':
          result = await client.setSslCertificates({ ...where, targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: op.sslCertificates }, requestId });
          break;
        case 'setTarget':
          result = await client.setTarget({ ...where, targetReferenceResource: { target: op.target }, requestId });
          break;
        case 'setLabels': {
          const { labelFingerprint } = await this.current(step);
          result = await client.setLabels({ project: this.project, resource: step.name, globalSetLabelsRequestResource: { labels: op.labels, labelFingerprint } });
          break;
        }
      }
    } catch (err) {
      if (op.op === 'delete' && isNotFound(err)) return;
      // Made by someone else (or by an earlier run) since we looked: re-read and re-plan.
      if (op.op === 'insert' && isAlreadyExists(err)) throw new RunctlError('Conflict', `${what} appeared while creating it`, { cause: err });
      if (isConflict(err)) throw err;
      throw new RunctlError('ApiError', `${VERB[op.op]} ${what}: ${apiError(err).message}`, { cause: err, source: 'system' });
    }
    this.fingerprints.delete(`${step.kind}/${step.region ?? ''}/${step.name}`);
    await waitOperation(this.ctx, result, scope, `${VERB[op.op]} ${what}`);
  }
}
