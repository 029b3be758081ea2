/**
 * The embedded emulator, with one writer per state directory. The first runctl process
 * to open `.runctl/emulator` takes its lock (`state-lock.ts`) and serves the state from
 * an in-process emulator; every other process attaches to that emulator ("attached to
 * the embedded emulator of pid N") and never loads or writes the state itself, so no
 * process can overwrite another's changes with a stale copy, and drift made through one
 * process is what the others read.
 *
 * When the owner exits (or dies), an attached process takes over: it takes the lock,
 * loads the state the owner left (every answered write is on disk: the emulator writes
 * before it answers) and serves it on the same ports, so its clients reconnect without
 * noticing; calls that failed meanwhile are retried like any UNAVAILABLE. If those
 * ports are taken it serves on new ones and tells its target to rebuild the clients.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningEmulator } from '../emulator/server';
import { acquireLock, ownerAlive, publishLock, readLock, releaseLock, type LockInfo } from './state-lock';

/** Where the clients connect. */
export interface Endpoints {
  grpc: string;
  http: string;
}

export interface EmbeddedOptions {
  /** Messages for the user (attaching, waiting, taking over). */
  stderr?: { write(s: string): unknown };
  /** How often an attached process checks its owner. @default 200 */
  watchMs?: number;
  /** How long to wait for an owner that is still starting. @default 30000 */
  startTimeoutMs?: number;
}

/** An open embedded emulator: served here, or attached to another process's. */
export interface Embedded {
  readonly endpoints: Endpoints;
  /** Whether this process serves the state now. */
  readonly owner: boolean;
  /** Called when the endpoints change (a takeover on other ports). */
  onMove(fn: (ep: Endpoints) => void): void;
  close(): Promise<void>;
}

/**
 * Create `.runctl/` (0700, with a `.gitignore` of `*`: the state holds environment values
 * and never belongs in a repository) and the state directory below it (0700).
 */
export function prepareStateDir(stateDir: string): void {
  const root = path.dirname(stateDir);
  if (!fs.existsSync(root)) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(root, '.gitignore'), '*\n', { mode: 0o600 });
  }
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // Directories and state made by older versions were readable by others: tighten them
  // (best effort: a directory owned by someone else stays as it is).
  const tighten = (p: string, mode: number) => {
    try {
      if (fs.existsSync(p) && (fs.statSync(p).mode & 0o077) !== 0) fs.chmodSync(p, mode);
    } catch {
      /* not ours to change */
    }
  };
  tighten(root, 0o700);
  tighten(stateDir, 0o700);
  tighten(path.join(stateDir, 'state.json'), 0o600);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reachable(ep: Endpoints): Promise<boolean> {
  try {
    const res = await fetch(`http://${ep.http}/__emulator/stats`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));

class EmbeddedEmulator implements Embedded {
  endpoints: Endpoints = { grpc: '', http: '' };
  owner = false;
  private lock: LockInfo | undefined;
  private emu: RunningEmulator | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
  private readonly movers: Array<(ep: Endpoints) => void> = [];
  private readonly lockFile: string;

  constructor(private readonly stateDir: string, private readonly opts: EmbeddedOptions) {
    this.lockFile = path.join(stateDir, 'lock');
  }

  onMove(fn: (ep: Endpoints) => void): void {
    this.movers.push(fn);
  }

  private say(line: string): void {
    this.opts.stderr?.write(`${line}\n`);
  }

  /** Serve the state here or attach to its owner; loops until one of them works. */
  async open(preferredPort = 0): Promise<void> {
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 30_000);
    let waitedFor: number | undefined;
    for (;;) {
      const got = acquireLock(this.lockFile);
      if ('held' in got) return this.serve(got.held, preferredPort);
      const other = got.other;
      if (other.grpc && other.http && (await reachable({ grpc: other.grpc, http: other.http }))) {
        this.attach(other);
        return;
      }
      // The owner is starting (no endpoints yet) or stopping: wait for it, then look again.
      if (waitedFor !== other.pid && !other.grpc) {
        waitedFor = other.pid;
        this.say(`waiting for the embedded emulator of pid ${other.pid} to start`);
      }
      if (Date.now() > deadline) {
        throw new Error(`the embedded emulator of pid ${other.pid} (${this.lockFile}) does not answer; stop that process or remove the lock file`);
      }
      await sleep(100);
    }
  }

  private async serve(lock: LockInfo, preferredPort: number): Promise<void> {
    const { startEmulator } = require('../emulator/server') as typeof import('../emulator/server');
    try {
      try {
        this.emu = await startEmulator({ port: preferredPort, stateDir: this.stateDir });
      } catch (err) {
        if (!preferredPort) throw err;
        this.emu = await startEmulator({ port: 0, stateDir: this.stateDir });
      }
      this.lock = { ...lock, grpc: this.emu.grpc, http: this.emu.http };
      publishLock(this.lockFile, this.lock);
    } catch (err) {
      await this.emu?.stop().catch(() => undefined);
      this.emu = undefined;
      releaseLock(this.lockFile, lock);
      throw err;
    }
    this.owner = true;
    this.stopWatching();
    this.setEndpoints({ grpc: this.emu.grpc, http: this.emu.http });
  }

  private attach(other: LockInfo): void {
    this.lock = other;
    this.owner = false;
    this.say(`attached to the embedded emulator of pid ${other.pid}`);
    this.setEndpoints({ grpc: other.grpc!, http: other.http! });
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.opts.watchMs ?? 200);
      this.timer.unref();
    }
  }

  private setEndpoints(ep: Endpoints): void {
    const moved = this.endpoints.grpc !== '' && this.endpoints.grpc !== ep.grpc;
    this.endpoints = ep;
    if (moved) for (const fn of this.movers) fn(ep);
  }

  /** Attached: when the owner is gone (lock released, or its pid dead), take over or re-attach. */
  private async check(): Promise<void> {
    if (this.checking || this.closed || this.owner) return;
    this.checking = true;
    try {
      const current = readLock(this.lockFile);
      if (current && current.nonce === this.lock?.nonce && ownerAlive(current)) return;
      if (current && current.nonce !== this.lock?.nonce && ownerAlive(current) && current.grpc) {
        if (await reachable({ grpc: current.grpc, http: current.http! })) this.attach(current);
        return;
      }
      const gone = this.lock?.pid;
      await this.open(portOf(this.endpoints.grpc));
      if (this.owner) this.say(`the embedded emulator of pid ${gone} stopped; this process (pid ${process.pid}) serves the state now`);
    } catch (err) {
      this.say(`embedded emulator: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  private stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    while (this.checking) await sleep(10);
    if (this.emu) {
      await this.emu.stop();
      this.emu = undefined;
      if (this.lock) releaseLock(this.lockFile, this.lock);
    }
  }
}

/** Open the embedded emulator of `stateDir` (`.runctl/emulator`). */
export async function openEmbedded(stateDir: string, opts: EmbeddedOptions = {}): Promise<Embedded> {
  prepareStateDir(stateDir);
  const e = new EmbeddedEmulator(stateDir, opts);
  await e.open();
  return e;
}
