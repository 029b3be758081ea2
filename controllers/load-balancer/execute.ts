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
import { requestIdOf, waitOperation } from './compute-ops';
import { diffDeclared } from '../../src/engine/diff';
import { liveView, type ComputeResource, type LiveModel, type LiveSub } from './model';
import { markerOf, ownedMarker, type PartNames } from './names';
import { API, collectionClient, type CollectionClient } from './observe';
import type { Op, Step } from './steps';

const VERB: Record<Op['op'], string> = {
  insert: 'creating', delete: 'deleting', patch: 'patching', update: 'updating', setUrlMap: 'pointing at a new URL map:',
  setSslCertificates: 'attaching certificates to', setTarget: 'pointing at a new proxy:', setLabels: 'labelling', refuse: 'refusing',
};

/** A sub-resource's fingerprints, as Compute returns them. */
type Fingerprints = Pick<ComputeResource, 'fingerprint' | 'labelFingerprint'>;

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
  private readonly fingerprints = new Map<string, Fingerprints>();
  /** Calls this runner made, and inserts it found made (as wanted) by a concurrent apply. */
  readonly tally = { own: 0, concurrent: 0 };

  constructor(
    private readonly ctx: ApplyContext,
    private readonly project: string,
    private readonly live: LiveModel,
    private readonly lb: string,
    private readonly names?: PartNames,
  ) {
    for (const s of live.subs) this.fingerprints.set(`${s.kind}/${s.region ?? ''}/${s.name}`, { fingerprint: s.raw.fingerprint, labelFingerprint: s.raw.labelFingerprint });
  }

  async run(steps: Step[]): Promise<void> {
    for (const step of steps) for (const op of step.ops) await this.call(step, op);
  }

  private client(step: Step): CollectionClient {
    return collectionClient(this.ctx, step.kind);
  }

  /** Fingerprints as the server has them now (read again after this apply changed the resource). */
  private async current(step: Step): Promise<Fingerprints> {
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
          result = await client.patch!({ ...where, [api.body]: { ...op.body, fingerprint: (await this.current(step)).fingerprint }, requestId });
          break;
        case 'update':
          result = await client.update!({ ...where, [api.body]: { ...op.body, fingerprint: (await this.current(step)).fingerprint }, requestId });
          break;
        case 'setUrlMap':
          result = await client.setUrlMap!({ ...where, urlMapReferenceResource: { urlMap: op.urlMap }, requestId });
          break;
        case 'setSslCertificates':
          result = await client.setSslCertificates!({ ...where, targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: op.sslCertificates }, requestId });
          break;
        case 'setTarget':
          result = await client.setTarget!({ ...where, targetReferenceResource: { target: op.target }, requestId });
          break;
        case 'setLabels': {
          const { labelFingerprint } = await this.current(step);
          result = await client.setLabels!({ project: this.project, resource: step.name, globalSetLabelsRequestResource: { labels: op.labels, labelFingerprint } });
          break;
        }
      }
    } catch (err) {
      if (op.op === 'delete' && isNotFound(err)) return;
      // Made since we looked (by a concurrent apply, most likely): compare, don't fail.
      if (op.op === 'insert' && isAlreadyExists(err)) return this.madeConcurrently(step, err);
      if (isConflict(err)) throw err;
      throw new RunctlError('ApiError', `${VERB[op.op]} ${what}: ${apiError(err).message}`, { cause: err, source: 'system' });
    }
    this.fingerprints.delete(`${step.kind}/${step.region ?? ''}/${step.name}`);
    await waitOperation(this.ctx, result, scope, `${VERB[op.op]} ${what}`);
    this.tally.own++;
  }

  /**
   * An insert met ALREADY_EXISTS: read the sub-resource (waiting while its own insert
   * is still running, when it is not readable yet). Ours and as wanted: go on with the
   * next step. Otherwise the engine re-reads and re-plans the load balancer.
   */
  private async madeConcurrently(step: Step, err: unknown): Promise<void> {
    const what = `${step.kind} ${step.name}`;
    const raw = await this.readWhenReady(step);
    const owned = !!raw && ownedMarker(markerOf(raw), this.ctx.set, this.lb);
    if (!raw || !owned || !step.want) {
      const mk = raw ? markerOf(raw) : undefined;
      const who = mk ? ` (managed by ${mk.managedBy ?? 'nobody'}${mk.set ? ` set ${mk.set}` : ''}${mk.lb ? ` lb ${mk.lb}` : ''})` : '';
      throw new RunctlError('AlreadyExists', `${what} appeared while creating it${who}`, { cause: err });
    }
    const sub: LiveSub = { kind: step.kind, name: step.name, region: step.region, raw, owned };
    const model: LiveModel = { subs: [...this.live.subs.filter((s) => !(s.kind === sub.kind && s.name === sub.name && s.region === sub.region)), sub] };
    const { changes } = diffDeclared(step.want.view, liveView(sub, this.lb, model, this.names), {}, '');
    if (changes.length) throw new RunctlError('AlreadyExists', `${what} appeared while creating it, with other settings (${changes.map((c) => c.path).join(', ')})`, { cause: err });
    this.live.subs = model.subs;
    this.tally.concurrent++;
    this.ctx.progress(`${what} was just made by a concurrent apply, as wanted`);
  }

  /** GET a sub-resource, retrying NOT_FOUND for a while (a concurrent insert may still run). */
  private async readWhenReady(step: Step): Promise<ComputeResource | undefined> {
    for (let delay = 100, waited = 0; ; waited += delay, delay = Math.min(delay * 2, 2000)) {
      try {
        const [raw] = await this.client(step).get(this.where(step));
        return raw;
      } catch (err) {
        if (!isNotFound(err) || waited > 60_000) return undefined;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
