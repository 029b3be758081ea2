/**
 * The commands README.md shows, read from README.md itself: `$ ` lines of console blocks
 * (with the output shown under them), the lines of sh blocks, and `npx runctl ...` /
 * `curl ...` spans in prose. The newcomer test runs them, so the README and what runctl
 * really does cannot drift apart.
 */

export interface ReadmeCommand {
  /** The nearest `##`/`###` heading above the command. */
  section: string;
  /** The command as written (continuation lines joined, trailing `# comment` removed). */
  command: string;
  /** What a console block shows under the command (empty for sh blocks and prose). */
  shown: string[];
  /** 1-based line in README.md. */
  line: number;
  from: 'console' | 'sh' | 'prose';
  /** 1 for the first time this command appears in its section, 2 for the second, ... */
  nth: number;
}

/** A trailing shell comment: whitespace, `#`, a space (a `#` inside a word or quotes stays). */
const stripComment = (cmd: string): string => cmd.replace(/\s+#\s.*$/, '').trim();

/** Lines of a block with `\` continuations joined, each with the line it started on. */
function joinContinuations(lines: Array<{ text: string; line: number }>): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  let pending: { text: string; line: number } | undefined;
  for (const l of lines) {
    const text = pending ? `${pending.text} ${l.text.trim()}` : l.text;
    const start = pending?.line ?? l.line;
    if (/\\\s*$/.test(text)) pending = { text: text.replace(/\\\s*$/, '').trimEnd(), line: start };
    else {
      out.push({ text, line: start });
      pending = undefined;
    }
  }
  return out;
}

/** Every command README.md shows. */
export function readmeCommands(readme: string): ReadmeCommand[] {
  const lines = readme.split('\n');
  const out: ReadmeCommand[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{2,3} (.*)$/.exec(lines[i]);
    if (heading) {
      section = heading[1].trim();
      continue;
    }
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (fence) {
      const lang = fence[2];
      const body: Array<{ text: string; line: number }> = [];
      for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push({ text: lines[i].slice(fence[1].length), line: i + 1 });
      if (lang === 'console') out.push(...consoleCommands(body, section));
      else if (lang === 'sh') {
        for (const l of joinContinuations(body.filter((b) => b.text.trim() && !b.text.trim().startsWith('#')))) {
          out.push({ section, command: stripComment(l.text), shown: [], line: l.line, from: 'sh', nth: 0 });
        }
      }
      continue;
    }
    for (const m of lines[i].matchAll(/`((?:npx runctl|curl) [^`]+)`/g)) out.push({ section, command: m[1].trim(), shown: [], line: i + 1, from: 'prose', nth: 0 });
  }
  const seen = new Map<string, number>();
  for (const c of out) {
    const k = `${c.section} » ${c.command}`;
    c.nth = (seen.get(k) ?? 0) + 1;
    seen.set(k, c.nth);
  }
  return out;
}

function consoleCommands(body: Array<{ text: string; line: number }>, section: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  for (const b of body) {
    if (b.text.startsWith('$ ')) out.push({ section, command: stripComment(b.text.slice(2)), shown: [], line: b.line, from: 'console', nth: 0 });
    else if (out.length) out[out.length - 1].shown.push(b.text);
  }
  return out;
}

/** `section » command` (and ` #2` for its second appearance there): how the newcomer test names a README command. */
export const commandKey = (c: Pick<ReadmeCommand, 'section' | 'command' | 'nth'>): string => `${c.section} » ${c.command}${c.nth > 1 ? ` #${c.nth}` : ''}`;

/** How many resources the quick start's `manifests/` under `root` holds (every document with a kind). */
export function quickStartCount(root: string): number {
  const { parseAllDocuments } = require('yaml') as typeof import('yaml');
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const files = (fs.readdirSync(path.join(root, 'manifests'), { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f));
  let n = 0;
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(root, 'manifests', f), 'utf8'))) {
      const v = doc.toJS() as { kind?: unknown } | null;
      if (v && typeof v.kind === 'string') n++;
    }
  }
  return n;
}
