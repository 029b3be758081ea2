/**
 * Reading manifest bytes safely: only regular files (a device, FIFO or socket is refused
 * before it is opened for reading, so `-f /dev/zero` or a FIFO neither reads forever
 * nor blocks), at most a per-file and a per-set number of bytes (counted as read, not
 * trusted from `stat`), and strict UTF-8 (an invalid byte is an error at file:line,
 * never silently turned into U+FFFD).
 */
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { Diagnostic, SourcePos } from '../util/types';
import type { Source } from './files';

/** Bytes of a manifest set still allowed, shared by every source of one load. */
export interface ReadBudget {
  /** Largest single file (or standard input). */
  maxFileBytes: number;
  /** Bytes left for the whole set. */
  remaining: number;
  /** The set's total limit (for messages). */
  maxTotalBytes: number;
}

/** Bytes, or the diagnostic that refused them (`setFull`: the set's total is used up; read no more). */
export type ReadResult = { bytes: Buffer } | { diagnostic: Diagnostic; setFull?: boolean };

const MiB = 1024 * 1024;

/** `16 MiB`, `8 MiB`, `512 bytes`. */
export function formatBytes(n: number): string {
  return n >= MiB && n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

function refused(src: Source, message: string, pos?: SourcePos): { diagnostic: Diagnostic } {
  return { diagnostic: { code: 'InputRefused', message: `${src.display}: ${message}`, pos } };
}

/** What a non-regular file is, for the message. */
function fileType(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function notRegular(src: Source, st: Stats) {
  return refused(src, `${fileType(st)}, not a regular file; runctl reads manifests from regular files, directories, or standard input (-f -)`);
}

/** Read one source within the budget (which it consumes). */
export async function readBytes(src: Source, budget: ReadBudget, stdin: NodeJS.ReadableStream | undefined): Promise<ReadResult> {
  const limit = Math.min(budget.maxFileBytes, budget.remaining);
  const tooBig = (): ReadResult =>
    budget.remaining < budget.maxFileBytes
      ? { ...refused(src, `the manifests are larger than ${formatBytes(budget.maxTotalBytes)} in total; refusing to read more (split the set, or point -f at fewer files)`), setFull: true }
      : refused(src, `larger than ${formatBytes(budget.maxFileBytes)}; refusing to read it`);
  let bytes: Buffer | undefined;
  if (src.abs === '-') bytes = await readStream(stdin ?? process.stdin, limit);
  else {
    // stat first: opening a FIFO for reading would block until a writer comes.
    const st = await fsp.stat(src.abs);
    if (!st.isFile()) return notRegular(src, st);
    // O_NONBLOCK: should the path have become a FIFO since, open does not block either.
    const fh = await fsp.open(src.abs, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
    try {
      const again = await fh.stat();
      if (!again.isFile()) return notRegular(src, again);
      bytes = await readHandle(fh, limit);
    } finally {
      await fh.close();
    }
  }
  if (!bytes) return tooBig();
  budget.remaining -= bytes.length;
  return { bytes };
}

/** Up to `limit` bytes of a file; undefined when it holds more. */
async function readHandle(fh: import('node:fs/promises').FileHandle, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const buf = Buffer.alloc(Math.min(64 * 1024, limit + 1 - size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, size);
    size += bytesRead;
    if (size > limit) return undefined;
    chunks.push(buf.subarray(0, bytesRead));
  }
}

/** Up to `limit` bytes of a stream; undefined when it holds more (the rest is not read). */
async function readStream(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      (stream as { destroy?: () => void }).destroy?.();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or -1.
 */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Text of well-formed UTF-8 bytes (a leading BOM dropped), or the diagnostic at the first bad byte. */
export function decodeUtf8(bytes: Buffer, file: string): { text: string } | { diagnostic: Diagnostic } {
  const bad = invalidUtf8Offset(bytes);
  if (bad < 0) return { text: new TextDecoder('utf-8').decode(bytes) };
  const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const col = Array.from(bytes.subarray(lineStart, bad).toString('utf8')).length + 1;
  const hex = `0x${bytes[bad].toString(16).padStart(2, '0')}`;
  return {
    diagnostic: {
      code: 'InvalidEncoding',
      message: `not valid UTF-8 (byte ${hex}); manifests must be UTF-8 text: convert the file (e.g. iconv -f LATIN1 -t UTF-8)`,
      pos: { file, line, col },
    },
  };
}
