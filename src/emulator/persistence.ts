/**
 * The emulator's state on disk: one JSON file written atomically (temp file, then
 * rename), with group commit — changes made while a write is in progress share the next
 * write — and `durable()` for "answered only once on disk".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** The state of every module (one namespace each), and its persistence. */
export class StateStore {
  state: Record<string, any> = {};
  /** Bumped by every change to persist; `written` is the newest version on disk. */
  private version = 0;
  private written = 0;
  private writing: Promise<void> | undefined;
  private durableWaiters: Array<{ version: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  /** @param stateDir directory of `state.json`; undefined keeps the state in memory. */
  constructor(private readonly stateDir: string | undefined) {
    this.load();
  }

  private get file(): string | undefined {
    return this.stateDir ? path.join(this.stateDir, 'state.json') : undefined;
  }

  private load(): void {
    const file = this.file;
    if (!file || !fs.existsSync(file)) return;
    try {
      this.state = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`emulator state ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }

  /** Persist the state: written at once, or right after the write in progress. */
  persist(): void {
    if (!this.file) return;
    this.version++;
    this.kick();
  }

  /** Resolve once every change persisted so far is on disk. */
  durable(): Promise<void> {
    if (!this.file || this.written >= this.version) return Promise.resolve();
    const version = this.version;
    return new Promise((resolve, reject) => this.durableWaiters.push({ version, resolve, reject }));
  }

  /** Write the state now and wait for it. */
  async flush(): Promise<void> {
    if (!this.file) return;
    this.persist();
    await this.durable();
  }

  private kick(): void {
    if (this.writing || this.written >= this.version) return;
    const version = this.version;
    this.writing = this.write().then(
      () => {
        this.written = Math.max(this.written, version);
        this.settleWaiters((w) => w.version <= this.written, undefined);
      },
      (err) => this.settleWaiters((w) => w.version <= version, err),
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private settleWaiters(done: (w: { version: number }) => boolean, err: unknown): void {
    const ready = this.durableWaiters.filter(done);
    this.durableWaiters = this.durableWaiters.filter((w) => !done(w));
    for (const w of ready) (err === undefined ? w.resolve() : w.reject(err));
  }

  private async write(): Promise<void> {
    const file = this.file;
    if (!file) return;
    // The state holds environment values: private to the user (0600 in a 0700 directory).
    const text = JSON.stringify(this.state);
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, text, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }
}
