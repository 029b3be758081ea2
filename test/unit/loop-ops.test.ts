/** Logs (pino, JSON or text) and the /healthz /readyz /metrics server of the loops. */
import { describe, expect, it } from 'vitest';
import { startOpsServer } from '../../src/loop/http';
import { formatRecord, logHost, makeLogger } from '../../src/loop/log';
import { LoopMetrics } from '../../src/loop/metrics';
import { LoopStatus } from '../../src/loop/status';

function capture(isTTY = false) {
  const lines: string[] = [];
  return { out: { write: (s: string) => lines.push(s), isTTY }, lines };
}

describe('logs', () => {
  it('json: one object per line with the fields Cloud Logging reads', () => {
    const c = capture();
    makeLogger({ format: 'json', out: c.out }).warn({ resource: 'Service/a' }, 'it failed');
    const rec = JSON.parse(c.lines[0]);
    expect(rec).toMatchObject({ severity: 'WARN', message: 'it failed', resource: 'Service/a' });
    expect(Date.parse(rec.time)).not.toBeNaN();
    expect(rec).not.toHaveProperty('pid');
  });

  it('text on a terminal by default, JSON otherwise', () => {
    const tty = capture(true);
    makeLogger({ out: tty.out, env: { NO_COLOR: '1' } }).info({ trigger: 'resync' }, 'reconciled: no changes');
    expect(tty.lines[0]).toMatch(/^\d\d:\d\d:\d\d INFO  reconciled: no changes trigger=resync\n$/);
    const pipe = capture(false);
    makeLogger({ out: pipe.out }).info('x');
    expect(JSON.parse(pipe.lines[0]).message).toBe('x');
  });

  it('text lines print diagnostics one per line and quote values with spaces', () => {
    const line = formatRecord({ time: '2025-01-01T10:20:30.000Z', severity: 'ERROR', message: '1 problem', diagnostics: ['a.yaml:1:2: bad [YamlSyntax]'], why: 'two words' });
    expect(line).toBe('10:20:30 ERROR 1 problem why="two words"\n    a.yaml:1:2: bad [YamlSyntax]');
  });

  it('engine events become records: writes at info, failures at warn, progress at debug', () => {
    const c = capture();
    const host = logHost(makeLogger({ format: 'json', level: 'debug', out: c.out }), { commit: 'abc' });
    host.emit({ type: 'resource', key: 'Service/a', phase: 'done', action: 'update', elapsedMs: 5 });
    host.emit({ type: 'resource', key: 'Service/b', phase: 'failed', action: 'create', message: 'PERMISSION_DENIED' });
    host.emit({ type: 'resource', key: 'Service/a', phase: 'progress', message: 'waiting' });
    const recs = c.lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => [r.severity, r.message, r.commit])).toEqual([
      ['INFO', 'Service/a: updated', 'abc'],
      ['WARN', 'Service/b: create failed', 'abc'],
      ['DEBUG', 'Service/a: waiting', 'abc'],
    ]);
    expect(recs[1].error).toBe('PERMISSION_DENIED');
  });
});

describe('ops server', () => {
  it('answers /healthz, /readyz (503 until ready, and again while stopping) and /metrics', async () => {
    const metrics = new LoopMetrics({ processMetrics: false });
    const status = new LoopStatus(metrics);
    const server = await startOpsServer({ port: 0, metrics, status });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const before = await fetch(`${server.url}/readyz`);
      expect([before.status, await before.text()]).toEqual([503, 'not ready: the first reconcile has not finished\n']);
      status.markReady();
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      metrics.recordResults(
        [
          { key: 'Service/a', action: 'update', outcome: 'applied', synced: 'ReconcileSuccess', elapsedMs: 120 },
          { key: 'Service/b', action: 'create', outcome: 'failed', errorCode: 'ApiError', synced: 'ReconcileError', elapsedMs: 3 },
        ],
        (k) => k.split('/')[0],
        () => true,
      );
      metrics.setCommit('a'.repeat(40), 1700000000);
      const res = await fetch(`${server.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      for (const line of [
        'runctl_ready 1',
        'runctl_reconciles_total{kind="Service",outcome="applied"} 1',
        'runctl_reconcile_errors_total{kind="Service",code="ApiError"} 1',
        'runctl_drift_corrections_total{kind="Service"} 1',
        'runctl_resources_out_of_sync{kind="Service"} 1',
        `runctl_last_applied_commit{commit="${'a'.repeat(40)}"} 1`,
        'runctl_last_applied_commit_timestamp_seconds 1700000000',
      ]) {
        expect(text).toContain(line);
      }
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
      status.markStopped();
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it('says clearly when the port is taken', async () => {
    const metrics = new LoopMetrics({ processMetrics: false });
    const first = await startOpsServer({ port: 0, metrics, status: new LoopStatus() });
    try {
      const port = Number(first.url.split(':').pop());
      await expect(startOpsServer({ port, metrics, status: new LoopStatus() })).rejects.toThrow(/cannot serve metrics on 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
