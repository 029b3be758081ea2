/**
 * The Git source of `sync`, through the `git` command: it speaks every transport users
 * have (local paths, file://, https:// with credential helpers, ssh:// and scp-style
 * `git@host:org/repo.git` with their SSH keys). Each controller fetches into its own
 * private bare repository (shallow: only the commits it applies), and reads manifests
 * straight from the fetched trees: no working copy, nothing on disk to go stale.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redact, secretsOf } from '../engine/redact';
import { RunctlError } from '../engine/types';
import { LOAD_LIMITS } from '../load/loader';
import { formatBytes } from '../load/read';

export interface GitFile {
  /** Path inside the repository, e.g. `deploy/jokes.yaml`. */
  path: string;
  /** The blob's bytes (decoded, strictly, by the loader). */
  bytes: Buffer;
}

export interface CommitInfo {
  sha: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  author: string;
  subject: string;
}

export interface GitSourceOptions {
  /** Repository: a path, file://, https://, ssh:// URL or scp-style `user@host:path`. */
  repo: string;
  /** Relative paths resolve against this. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill a git command after this long. @default 120000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const MANIFEST_EXT = /\.ya?ml$/i;
export const SHA = /^[0-9a-f]{40}$/;

/** A URL git understands: URLs and scp-style addresses as given, local paths made absolute. */
export function repoAddress(repo: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return repo;
  if (/^[^/\\]+@[^/\\]+:/.test(repo)) return repo; // git@github.com:org/repo.git
  return path.resolve(cwd, repo);
}

/** Credentials in URLs (user-info, query strings) are hidden by the one shared helper. */
export { redact };

/** `DIR` as a path inside the repository ('' for the root). */
export function repoDir(dir: string): string {
  const normal = path.posix.normalize(dir.replace(/\\/g, '/'));
  const norm = normal === '.' || normal === './' ? '' : normal.replace(/^\/+|\/+$/g, '');
  if (norm === '..' || norm.startsWith('../')) throw new RunctlError('Usage', `--path ${dir} leaves the repository`, { source: 'user' });
  return norm;
}

export class GitSource {
  private readonly url: string;
  /** Credentials in the URL, hidden wherever git repeats them. */
  private readonly secrets: string[];
  private gitdir: string | undefined;

  constructor(private readonly opts: GitSourceOptions) {
    this.url = repoAddress(opts.repo, opts.cwd);
    this.secrets = secretsOf(this.url);
  }

  /** The repository as shown in logs (credentials hidden). */
  get display(): string {
    return redact(this.url, this.secrets);
  }

  /** Check that git exists and make the private bare repository. */
  async open(): Promise<void> {
    await this.git(['--version']);
    this.gitdir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-sync-'));
    await this.git(['init', '--bare', '--quiet', this.gitdir]);
  }

  /** Fetch `ref` (a branch or tag); returns the commit it points to. */
  async fetch(ref: string): Promise<string> {
    await this.git(['fetch', '--quiet', '--no-tags', '--depth=1', '--force', '--', this.url, ref], this.gitdir);
    return (await this.git(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'], this.gitdir)).toString().trim();
  }

  /** Fetch one commit by ID (the last applied one, after a restart); false when the server will not serve it. */
  async fetchCommit(sha: string): Promise<boolean> {
    if (!SHA.test(sha)) return false;
    try {
      if (await this.has(sha)) return true;
      await this.git(['fetch', '--quiet', '--no-tags', '--depth=1', '--', this.url, sha], this.gitdir);
      return this.has(sha);
    } catch {
      return false;
    }
  }

  /** Up to `depth` commits of `ref`, newest first (deepens the shallow history). */
  async history(ref: string, depth: number): Promise<string[]> {
    await this.git(['fetch', '--quiet', '--no-tags', `--depth=${depth}`, '--', this.url, ref], this.gitdir);
    const out = (await this.git(['rev-list', `--max-count=${depth}`, 'FETCH_HEAD'], this.gitdir)).toString();
    return out.split('\n').filter((l) => SHA.test(l));
  }

  async info(sha: string): Promise<CommitInfo> {
    const out = (await this.git(['log', '-1', '--format=%H%x00%ct%x00%an%x00%s', sha, '--'], this.gitdir)).toString().trim();
    const [full, time, author, subject] = out.split('\0');
    return { sha: full, time: Number(time), author, subject };
  }

  /**
   * The manifest files (`*.yaml`, `*.yml`, not under dot-directories or node_modules)
   * under `dir` at `sha`, sorted; undefined when `dir` does not exist in that commit.
   */
  async files(sha: string, dir: string): Promise<GitFile[] | undefined> {
    const root = repoDir(dir);
    if (root) {
      const type = await this.git(['cat-file', '-t', `${sha}:${root}`], this.gitdir).then((b) => b.toString().trim(), () => '');
      if (type !== 'tree') return undefined;
    }
    const listing = (await this.git(['ls-tree', '-r', '-l', '-z', '--full-tree', sha, ...(root ? ['--', root] : [])], this.gitdir)).toString();
    const blobs: Array<{ sha: string; path: string; size: number }> = [];
    for (const line of listing.split('\0')) {
      const m = /^(\d+) (\w+) ([0-9a-f]+) +(\S+)\t(.*)$/s.exec(line);
      if (!m || m[2] !== 'blob' || m[1] === '120000') continue;
      const rel = root ? m[5].slice(root.length + 1) : m[5];
      if (!MANIFEST_EXT.test(rel) || rel.split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules')) continue;
      blobs.push({ sha: m[3], path: m[5], size: Number(m[4]) });
    }
    blobs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const big = blobs.find((b) => b.size > LOAD_LIMITS.maxBytes);
    if (big) throw new RunctlError('InputRefused', `${big.path}: larger than ${formatBytes(LOAD_LIMITS.maxBytes)}; refusing to read it`, { source: 'user' });
    const total = blobs.reduce((n, b) => n + b.size, 0);
    if (total > LOAD_LIMITS.maxTotalBytes) {
      throw new RunctlError('InputRefused', `${dir}: the manifests are larger than ${formatBytes(LOAD_LIMITS.maxTotalBytes)} in total; refusing to read them`, { source: 'user' });
    }
    const contents = await this.readBlobs(blobs.map((b) => b.sha));
    return blobs.map((b, i) => ({ path: b.path, bytes: contents[i] }));
  }

  /** Remove the private repository. */
  async close(): Promise<void> {
    if (this.gitdir) fs.rmSync(this.gitdir, { recursive: true, force: true });
    this.gitdir = undefined;
  }

  private async has(sha: string): Promise<boolean> {
    return this.git(['cat-file', '-e', `${sha}^{commit}`], this.gitdir).then(() => true, () => false);
  }

  /** Many blobs through one `git cat-file --batch`. */
  private async readBlobs(shas: string[]): Promise<Buffer[]> {
    if (!shas.length) return [];
    const out = await this.git(['cat-file', '--batch'], this.gitdir, `${shas.join('\n')}\n`);
    const texts: Buffer[] = [];
    let at = 0;
    for (const sha of shas) {
      const nl = out.indexOf(0x0a, at);
      const header = out.subarray(at, nl).toString();
      const [got, type, size] = header.split(' ');
      if (got !== sha || type !== 'blob') throw new RunctlError('Internal', `git cat-file: unexpected answer for ${sha}: ${header}`);
      texts.push(out.subarray(nl + 1, nl + 1 + Number(size)));
      at = nl + 1 + Number(size) + 1;
    }
    return texts;
  }

  /** Run git; stdout as a buffer. Errors carry git's own message (credentials hidden). */
  private git(args: string[], gitdir?: string, input?: string): Promise<Buffer> {
    const inherited = { ...(this.opts.env ?? process.env) };
    // A GIT_DIR or work tree inherited from a surrounding git (hooks, CI) must not leak in.
    for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_NAMESPACE']) delete inherited[k];
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      // Never wait for a password on a terminal nobody watches.
      GIT_TERMINAL_PROMPT: '0',
      // Nor for an SSH passphrase or host-key question (unless the user chose their own ssh).
      ...(inherited.GIT_SSH_COMMAND || inherited.GIT_SSH ? {} : { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' }),
      ...(gitdir ? { GIT_DIR: gitdir } : {}),
    };
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: this.opts.timeoutMs ?? 120_000, signal: this.opts.signal });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') {
          reject(new RunctlError('Usage', 'runctl sync needs the git command, and it is not installed or not on PATH (install git, e.g. `apt-get install git` in the container image)', { source: 'user', cause: e }));
        } else reject(new RunctlError('ApiError', `git ${args[0]}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, sig) => {
        if (code === 0) return resolve(Buffer.concat(out));
        const why = redact(Buffer.concat(err).toString().trim(), this.secrets) || (sig ? `killed by ${sig}` : `exit code ${code}`);
        reject(new RunctlError('ApiError', `git ${args[0]} ${args[0] === 'fetch' ? this.display + ' ' : ''}failed: ${why}`, { source: 'system' }));
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }
}
