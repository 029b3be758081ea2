/**
 * The lock of an embedded emulator's state directory: one process serves the state,
 * the others attach to it. The lock is a file created atomically (a complete temp file
 * hard-linked into place: `link` fails when the name exists, like `O_EXCL`, and readers
 * never see it half written) holding the owner's pid, host, a nonce and, once it
 * listens, its endpoints. A lock whose pid is dead on this host is stale and is taken
 * over; the takeover renames the stale file away and checks it renamed the lock it
 * judged, so two contenders never both win.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';

/** What the lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** Tells one holder from the next (pids are reused). */
  nonce: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Set once the owner's emulator listens. */
  grpc?: string;
  http?: string;
}

/** The outcome of `acquireLock`: ours, or someone else's live lock. */
export type Acquired = { held: LockInfo } | { other: LockInfo };

/** Whether the process that wrote `info` is alive (on another host we cannot tell: assume so). */
export function ownerAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's content, or undefined when there is none (or it is unreadable). */
export function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.nonce === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

function writeTemp(file: string, info: LockInfo): string {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  return tmp;
}

/** Create the lock if no one holds it; true when created. */
function create(file: string, info: LockInfo): boolean {
  const tmp = writeTemp(file, info);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Remove a stale lock, but only the one judged stale: it is renamed away first and its
 * nonce checked; a live lock renamed by mistake (taken in between) is put back.
 */
function removeStale(file: string, stale: LockInfo): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  if (moved && moved.nonce !== stale.nonce) {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a third process took the name meanwhile: its lock stands */
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Take the lock, or report the live holder. Stale locks are taken over. */
export function acquireLock(file: string): Acquired {
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (create(file, mine)) return { held: mine };
    const current = readLock(file);
    if (!current) {
      // Vanished (released) or unreadable: released locks are retried; garbage is stale.
      if (fs.existsSync(file)) removeStale(file, { pid: 0, host: '', nonce: '', since: '' });
      continue;
    }
    if (ownerAlive(current)) return { other: current };
    removeStale(file, current);
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing hands`);
}

/** Record the owner's endpoints in its lock (replaced atomically). */
export function publishLock(file: string, info: LockInfo): void {
  const tmp = writeTemp(file, info);
  fs.renameSync(tmp, file);
}

/** Release the lock if it is still ours. */
export function releaseLock(file: string, info: LockInfo): void {
  const current = readLock(file);
  if (current?.nonce === info.nonce) fs.rmSync(file, { force: true });
}
