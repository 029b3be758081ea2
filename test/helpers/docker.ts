/**
 * Reading a Dockerfile and computing a build context the way Docker does, so that tests
 * can check the controller image without pulling a base image (CI cannot).
 *
 * The `.dockerignore` rules follow Docker's documented semantics (moby/patternmatcher):
 * each line is a pattern in Go's filepath.Match syntax plus `**` (any number of
 * directories), relative to the context root (a leading `/` is dropped); `!` makes an
 * exception; a path is excluded when the last pattern matching it, or one of its parent
 * directories, is not an exception.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Instruction {
  /** Upper-case keyword (`FROM`, `RUN`, ...). */
  keyword: string;
  /** The rest of the instruction, continuation lines joined. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

/** The instructions of a Dockerfile, comments dropped and `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    // A comment line inside a continuation is skipped too, as Docker does.
    if (trimmed.startsWith('#') || (!trimmed && !pending)) return;
    const text = pending ? `${pending.text} ${trimmed}` : trimmed;
    const line = pending?.line ?? i + 1;
    if (text.endsWith('\\')) {
      pending = { text: text.slice(0, -1).trimEnd(), line };
      return;
    }
    pending = undefined;
    const m = /^(\S+)\s*(.*)$/.exec(text)!;
    out.push({ keyword: m[1].toUpperCase(), args: m[2], line });
  });
  return out;
}

/** The exec form (`["a", "b"]`) of an instruction's arguments; throws on the shell form. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** A HEALTHCHECK's options (`--interval=30s`) and its command. */
export function healthcheck(args: string): { options: Record<string, string>; command: string[] } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[m[1]] = m[2];
    rest = rest.slice(m[0].length);
  }
  if (!rest.startsWith('CMD ')) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  return { options, command: execForm(rest.slice(4).trim()) };
}

/** Go filepath.Match syntax plus `**`, as a regular expression over `/`-separated paths. */
function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` matches everything below.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`unterminated character class in ${pattern}`);
      re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface IgnoreRule {
  exception: boolean;
  pattern: string;
  re: RegExp;
}

/** The rules of a `.dockerignore`. */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    // Docker cleans each pattern (filepath.Clean) and makes it relative to the root.
    const pattern = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ exception, pattern, re: patternRegExp(pattern) });
  }
  return rules;
}

/** Whether the context excludes `rel` (a `/`-separated path relative to the context root). */
export function isExcluded(rules: IgnoreRule[], rel: string): boolean {
  const parts = rel.split('/');
  let excluded = false;
  for (const rule of rules) {
    // A pattern that matches a parent directory matches everything below it.
    const matches = parts.some((_, i) => rule.re.test(parts.slice(0, i + 1).join('/')));
    if (matches) excluded = !rule.exception;
  }
  return excluded;
}

/**
 * The files a `docker build` of `root` sends as its context (relative paths, sorted).
 * `extra` adds files that are not there yet (a tarball `npm pack` would write). Directories
 * named in `opaque` are not walked; only their own path is checked, and when it is in the
 * context, it is reported as `dir/` (the tests' way to say "all of node_modules").
 */
export function buildContext(root: string, rules: IgnoreRule[], opts: { extra?: string[]; opaque?: string[] } = {}): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (opts.opaque?.includes(p)) {
          if (!isExcluded(rules, p) || !isExcluded(rules, `${p}/package.json`)) out.push(`${p}/`);
        } else walk(p);
      } else if (!isExcluded(rules, p)) out.push(p);
    }
  };
  walk('');
  for (const p of opts.extra ?? []) if (!isExcluded(rules, p) && !out.includes(p)) out.push(p);
  return out.sort();
}
