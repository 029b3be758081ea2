/**
 * The embedded state's lock: taken atomically, reported to others while its owner lives,
 * taken over when its pid is dead or its content is garbage, released only by its owner;
 * and of several processes racing for it — with or without a stale lock in place —
 * exactly one wins.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, publishLock, readLock, releaseLock, type LockInfo } from '../../src/lib/state-lock';
import { packageRoot } from '../../src/package-root';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const lockFile = () => path.join(fs.mkdtempSync(path.join(tmp, `${n++}-`)), 'lock');

/** A pid that surely is not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function stale(file: string): void {
  const info: LockInfo = { pid: deadPid(), host: os.hostname(), nonce: 'stale-nonce', since: new Date().toISOString(), grpc: '127.0.0.1:1', http: '127.0.0.1:2' };
  fs.writeFileSync(file, JSON.stringify(info));
}

describe('state lock', () => {
  it('is taken once; others see the live holder; only the holder releases it', () => {
    const file = lockFile();
    const first = acquireLock(file);
    expect('held' in first).toBe(true);
    const held = (first as { held: LockInfo }).held;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    publishLock(file, { ...held, grpc: '127.0.0.1:5', http: '127.0.0.1:6' });
    const second = acquireLock(file);
    expect(second).toEqual({ other: { ...held, grpc: '127.0.0.1:5', http: '127.0.0.1:6' } });
    releaseLock(file, { ...held, nonce: 'someone-else' });
    expect(readLock(file)?.nonce).toBe(held.nonce);
    releaseLock(file, held);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });

  it('takes over a lock whose pid is dead, or whose content is garbage', () => {
    const file = lockFile();
    stale(file);
    const got = acquireLock(file);
    expect('held' in got && got.held.pid).toBe(process.pid);
    releaseLock(file, (got as { held: LockInfo }).held);
    fs.writeFileSync(file, 'not json');
    expect('held' in acquireLock(file)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['lock']);
  });

  it('of processes racing for it, exactly one wins, also when a stale lock is in place', async () => {
    const mod = path.join(packageRoot(), 'dist', 'src', 'lib', 'state-lock.js');
    // The winner holds the lock (its process lives) until every contender has answered.
    const script = `const l = require(${JSON.stringify(mod)}); const r = l.acquireLock(process.argv[1]);
      process.stdout.write('held' in r ? 'held' : 'other'); setTimeout(() => {}, 'held' in r ? 60000 : 0);`;
    for (const withStale of [false, true, false, true]) {
      const file = lockFile();
      if (withStale) stale(file);
      const children = Array.from({ length: 5 }, () => spawn(process.execPath, ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] }));
      const outs = await Promise.all(
        children.map((c) => new Promise<string>((resolve) => {
          c.stdout.once('data', (d) => resolve(String(d)));
          c.on('exit', () => resolve('exited without answering'));
        })),
      );
      for (const c of children) c.kill('SIGKILL');
      expect(outs.filter((o) => o === 'held'), `stale lock in place: ${withStale}; ${outs.join(',')}`).toHaveLength(1);
      expect(outs.filter((o) => o === 'other')).toHaveLength(4);
    }
  });
});
