/**
 * Payloads at rest: every secret version's payload is sealed with AES-256-GCM before it
 * enters the emulator's state, so `state.json` never holds one in clear. The embedded
 * emulator keeps its state in the user's working directory (`.runctl/emulator/`), where
 * it can be committed by accident; the key therefore lives OUTSIDE it, in the user's
 * state directory:
 *
 *   1. `EmulatorOptions.secretKeyFile` (`runctl emulator --secret-key-file`), else
 *   2. `$RUNCTL_EMULATOR_KEY_FILE`, else
 *   3. `$XDG_STATE_HOME/runctl/emulator-secrets.key`, else
 *   4. `~/.local/state/runctl/emulator-secrets.key`.
 *
 * The key (32 random bytes, hex) is created on first use with mode 0600 in a 0700
 * directory. An emulator without a state directory keeps payloads in memory only and
 * seals them with a key of its own that is never written anywhere.
 *
 * Sealed form: `v1:<key id>:<base64(iv | tag | ciphertext)>`, with the version's name as
 * additional authenticated data, so a ciphertext moved to another version fails to open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Code, EmulatorError } from '../../errors';

/** The default key file (items 2-4 above), from the environment. */
export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNCTL_EMULATOR_KEY_FILE) return path.resolve(env.RUNCTL_EMULATOR_KEY_FILE);
  const base = env.XDG_STATE_HOME ? path.resolve(env.XDG_STATE_HOME) : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'runctl', 'emulator-secrets.key');
}

/** Read the key file, creating it (0600, directory 0700) when missing. */
function loadOrCreateKey(file: string): Buffer {
  try {
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file} does not hold a 256-bit hex key`);
    return Buffer.from(hex, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // 'wx': two emulators starting at once must not each write a different key.
    fs.writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKey(file);
    throw err;
  }
}

/** Seals and opens payloads with one key. */
export class PayloadSealer {
  /** A short fingerprint of the key (not the key), recorded with each sealed payload. */
  readonly keyId: string;

  private constructor(private readonly key: Buffer, readonly keyFile: string | undefined) {
    this.keyId = createHash('sha256').update('runctl-emulator-key-id').update(key).digest('hex').slice(0, 12);
  }

  /** The sealer of a persisted emulator (key file outside the state) or of an in-memory one (ephemeral key). */
  static open(opts: { persisted: boolean; keyFile?: string }): PayloadSealer {
    if (!opts.persisted && !opts.keyFile) return new PayloadSealer(randomBytes(32), undefined);
    const file = opts.keyFile ? path.resolve(opts.keyFile) : defaultKeyFile();
    return new PayloadSealer(loadOrCreateKey(file), file);
  }

  seal(plain: Buffer, versionName: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(versionName));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `v1:${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  open(sealed: string, versionName: string): Buffer {
    const [v, keyId, body] = sealed.split(':');
    if (v !== 'v1' || !body) throw new EmulatorError(Code.INTERNAL, `The payload of ${versionName} is not in a form this emulator can read.`);
    if (keyId !== this.keyId) {
      throw new EmulatorError(
        Code.FAILED_PRECONDITION,
        `The payload of ${versionName} was sealed with another emulator key (key id ${keyId}; this emulator's is ${this.keyId}${this.keyFile ? `, from ${this.keyFile}` : ''}). Point RUNCTL_EMULATOR_KEY_FILE at the key this state was written with.`,
      );
    }
    const raw = Buffer.from(body, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(versionName));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    } catch {
      throw new EmulatorError(Code.DATA_LOSS, `The payload of ${versionName} failed its integrity check.`);
    }
  }
}
