/**
 * Conformance of the traffic model: `run.googleapis.com/request_count` series that the
 * emulator synthesises from the live traffic split of Cloud Run services, read through
 * the official Run and Monitoring clients, with the simulated clock advanced over HTTP.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients } from '../../src/gcp/clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import type { EmulatorOptions } from '../../src/emulator/options';
import { within } from '../helpers/loop-runner';

const PROJECT = 'traffic-proj';
const REGION = 'europe-north1';
const PARENT = `projects/${PROJECT}/locations/${REGION}`;
const IMAGE = (tag: string) => `europe-north1-docker.pkg.dev/${PROJECT}/r/${tag}`;
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

interface Env {
  emu: RunningEmulator;
  clients: Clients;
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }>;
  now(): Promise<number>;
  advance(seconds: number): Promise<number>;
  /** Advance to the next whole simulated minute; returns it. */
  alignToMinute(): Promise<number>;
  close(): Promise<void>;
}

async function env(options: EmulatorOptions = {}): Promise<Env> {
  const emu = await startEmulator({ port: 0, ...options });
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  const admin: Env['admin'] = async (method, route, body) => {
    const res = await fetch(`http://${emu.http}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: await res.json() };
  };
  const now = async () => Date.parse((await admin('GET', '/__emulator/clock')).json.now);
  const advance = async (seconds: number) => Date.parse((await admin('POST', '/__emulator/clock/advance', { seconds })).json.now);
  return {
    emu,
    clients,
    admin,
    now,
    advance,
    async alignToMinute() {
      const t = await now();
      const next = Math.ceil((t + 1) / 60_000) * 60_000;
      await advance((next - t) / 1000);
      return next;
    },
    async close() {
      await clients.close();
      await emu.stop();
    },
  };
}

async function deploy(e: Env, id: string, image: string, opts: { public?: boolean } = {}): Promise<string> {
  const run = e.clients.runServices();
  const name = `${PARENT}/services/${id}`;
  const [existing] = await run.getService({ name }).catch(() => [undefined]);
  if (!existing) {
    const [op] = await run.createService({ parent: PARENT, serviceId: id, service: { template: { containers: [{ image }] } } });
    await op.promise();
    if (opts.public) await run.setIamPolicy({ resource: name, policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
  } else {
    const [op] = await run.updateService({ service: { ...existing, template: { ...existing.template, revision: '', containers: [{ image }] } } });
    await op.promise();
  }
  const [svc] = await run.getService({ name });
  return String(svc.latestCreatedRevision).split('/').pop()!;
}

async function split(e: Env, id: string, targets: Array<[string, number]>): Promise<void> {
  const run = e.clients.runServices();
  const [svc] = await run.getService({ name: `${PARENT}/services/${id}` });
  const traffic = targets.map(([revision, percent]) => ({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' as const, revision, percent }));
  const [op] = await run.updateService({ service: { ...svc, traffic } });
  await op.promise();
}

/** Request counts of a service in (start, end], by revision and response code class. */
async function counts(e: Env, service: string, start: number, end: number): Promise<Record<string, number>> {
  const [series] = await e.clients.monitoring('MetricServiceClient').listTimeSeries({
    name: `projects/${PROJECT}`,
    filter: `metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND resource.labels.service_name="${service}"`,
    interval: { startTime: ts(start), endTime: ts(end) },
    aggregation: {
      alignmentPeriod: { seconds: Math.max(60, Math.round((end - start) / 1000)) },
      perSeriesAligner: 'ALIGN_DELTA',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['resource.label.revision_name', 'metric.label.response_code_class'],
    },
  });
  const out: Record<string, number> = {};
  for (const s of series) {
    const key = `${s.resource!.labels!.revision_name}/${s.metric!.labels!.response_code_class}`;
    out[key] = (out[key] ?? 0) + s.points!.reduce((n, p) => n + Number(p.value!.int64Value), 0);
  }
  return out;
}

describe('traffic model', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(async () => e?.close());

  it('sends --traffic-rps to a public service, per whole minute, labelled like Cloud Run', async () => {
    const rev = await deploy(e, 'shop', IMAGE('shop:1'), { public: true });
    const t0 = await e.alignToMinute();
    await e.advance(600);
    expect(await counts(e, 'shop', t0, t0 + 600_000)).toEqual({ [`${rev}/2xx`]: 50 * 600 });

    const [raw] = await e.clients.monitoring('MetricServiceClient').listTimeSeries({
      name: `projects/${PROJECT}`,
      filter: 'metric.type="run.googleapis.com/request_count" AND resource.labels.service_name="shop"',
      interval: { startTime: ts(t0), endTime: ts(t0 + 120_000) },
    });
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({
      metricKind: 'DELTA',
      valueType: 'INT64',
      metric: { type: 'run.googleapis.com/request_count', labels: { response_code_class: '2xx', response_code: '200' } },
      resource: { type: 'cloud_run_revision', labels: { project_id: PROJECT, service_name: 'shop', revision_name: rev, location: REGION, configuration_name: 'shop' } },
    });
    const minutes = raw[0].points!.map((p) => [Number(p.interval!.startTime!.seconds), Number(p.interval!.endTime!.seconds), Number(p.value!.int64Value)]);
    expect(minutes).toEqual([
      [t0 / 1000 + 60, t0 / 1000 + 120, 3000],
      [t0 / 1000, t0 / 1000 + 60, 3000],
    ]);
  });

  it('sends nothing to a private service unless it has its own rate', async () => {
    await deploy(e, 'private', IMAGE('private:1'));
    const t0 = await e.alignToMinute();
    await e.advance(300);
    expect(await counts(e, 'private', t0, t0 + 300_000)).toEqual({});
    const set = await e.admin('POST', '/__emulator/traffic', { services: { private: { rps: 2 } } });
    expect(set.status).toBe(200);
    const t1 = await e.alignToMinute();
    await e.advance(300);
    const got = await counts(e, 'private', t1, t1 + 300_000);
    expect(Object.values(got)).toEqual([2 * 300]);
    await e.admin('POST', '/__emulator/traffic', { services: { private: null } });
  });

  it('splits by the live percentages over time; an image named "failing" answers 10% with 5xx', async () => {
    const good = await deploy(e, 'canary', IMAGE('canary:1'), { public: true });
    const bad = await deploy(e, 'canary', IMAGE('canary:failing'));
    await split(e, 'canary', [[good, 100], [bad, 0]]);
    const t0 = await e.alignToMinute();
    await e.advance(300);
    await split(e, 'canary', [[good, 90], [bad, 10]]);
    await e.advance(300);
    const before = await counts(e, 'canary', t0, t0 + 300_000);
    expect(before).toEqual({ [`${good}/2xx`]: 50 * 300 });
    const after = await counts(e, 'canary', t0 + 300_000, t0 + 600_000);
    // 5 requests per second reach the canary for 300 s: 1500, of which 10% fail.
    expect(after[`${bad}/5xx`]).toBeGreaterThanOrEqual(149);
    expect(after[`${bad}/5xx`]).toBeLessThanOrEqual(150);
    expect(after[`${bad}/2xx`] + after[`${bad}/5xx`]).toBeGreaterThanOrEqual(1499);
    expect(after[`${bad}/2xx`] + after[`${bad}/5xx`]).toBeLessThanOrEqual(1500);
    expect(after[`${good}/5xx`]).toBeUndefined();
  });

  it('takes error ratios per image from /__emulator/traffic, longest match first', async () => {
    const rev = await deploy(e, 'flaky', IMAGE('flaky:2'), { public: true });
    const set = await e.admin('POST', '/__emulator/traffic', { images: { 'flaky:': { errorRatio: 0.5 }, 'flaky:2': 0.25 } });
    expect(set.json.live.find((s: any) => s.service.endsWith('/flaky')).revisions).toEqual([
      { revision: rev, percent: 100, images: [IMAGE('flaky:2')], errorRatio: 0.25 },
    ]);
    const t0 = await e.alignToMinute();
    await e.advance(120);
    expect(await counts(e, 'flaky', t0, t0 + 120_000)).toEqual({ [`${rev}/2xx`]: 4500, [`${rev}/5xx`]: 1500 });
    const reset = await e.admin('DELETE', '/__emulator/traffic');
    expect(reset.json.images).toEqual({});
  });

  it('rejects malformed settings without changing anything', async () => {
    for (const body of [{ rps: -1 }, { images: { x: 2 } }, { services: { a: { rps: 'many' } } }, { speed: 3 }, [1]]) {
      const res = await e.admin('POST', '/__emulator/traffic', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.status).toBe('INVALID_ARGUMENT');
    }
    const now = await e.admin('GET', '/__emulator/traffic');
    expect(now.json).toMatchObject({ rps: 50, services: {}, images: {} });
  });
});

describe('traffic model options', () => {
  it('uses --traffic-rps, and --time-scale runs simulated time faster than real time', async () => {
    const e = await env({ trafficRps: 20, timeScale: 600 });
    try {
      const rev = await deploy(e, 'fast', IMAGE('fast:1'), { public: true });
      const t0 = await e.alignToMinute();
      await new Promise((r) => setTimeout(r, 400));
      const t1 = await e.now();
      // 400 ms of real time is about four simulated minutes at 600x.
      expect(t1 - t0).toBeGreaterThanOrEqual(180_000);
      const got = await counts(e, 'fast', t0, Math.floor(t1 / 60_000) * 60_000);
      expect(got[`${rev}/2xx`]).toBe(20 * 60 * Math.floor((Math.floor(t1 / 60_000) * 60_000 - t0) / 60_000));
    } finally {
      await e.close();
    }
  });

  it('keeps its settings across a restart on the same state directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-traffic-'));
    try {
      const a = await env({ stateDir: dir });
      await a.admin('POST', '/__emulator/traffic', { rps: 7, images: { 'v2-bad': 0.3 } });
      await a.close();
      const b = await env({ stateDir: dir });
      const got = await b.admin('GET', '/__emulator/traffic');
      await b.close();
      expect(got.json).toMatchObject({ rps: 7, images: { 'v2-bad': { errorRatio: 0.3 } } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('simulated clock wait (how runctl waits out a rollout step)', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(async () => e?.close());

  it('answers as soon as an advance reaches the time, or after the real-time timeout', async () => {
    const now = await e.now();
    const until = new Date(now + 300_000).toISOString();
    // The longest real-time timeout: answered well before it, the advance woke the wait.
    const waiting = e.admin('POST', '/__emulator/clock/wait', { until, timeoutSeconds: 300 });
    await new Promise((r) => setTimeout(r, 50));
    await e.advance(300);
    const res = await within(waiting, 30_000, 'the clock wait after an advance');
    expect(res.json.reached).toBe(true);
    expect(Date.parse(res.json.now)).toBeGreaterThanOrEqual(now + 300_000);

    const short = await e.admin('POST', '/__emulator/clock/wait', { until: new Date(now + 3_600_000).toISOString(), timeoutSeconds: 0.05 });
    expect(short).toMatchObject({ status: 200, json: { reached: false } });
    const past = await e.admin('POST', '/__emulator/clock/wait', { until: new Date(now).toISOString() });
    expect(past.json.reached).toBe(true);
  });

  it('rejects a missing time or an unreasonable timeout', async () => {
    for (const body of [{}, { until: 'soon' }, { until: new Date().toISOString(), timeoutSeconds: 3600 }]) {
      const res = await e.admin('POST', '/__emulator/clock/wait', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
