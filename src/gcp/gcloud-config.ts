/**
 * The defaults a gcloud user already has: `core/project` and `run/region` of the active
 * gcloud configuration, read the way gcloud reads them (`gcloud topic configurations`):
 *
 * - the configuration directory is `CLOUDSDK_CONFIG`, else `~/.config/gcloud`
 *   (`%APPDATA%\gcloud` on Windows);
 * - the active configuration is `CLOUDSDK_ACTIVE_CONFIG_NAME`, else the name in the
 *   directory's `active_config` file, else `default`;
 * - its properties are the INI file `configurations/config_<name>` (`[core] project`,
 *   `[run] region`), and a `CLOUDSDK_<SECTION>_<PROPERTY>` variable overrides a property
 *   (`CLOUDSDK_CORE_PROJECT`; `CLOUDSDK_RUN_REGION` is ranked above the files by the
 *   caller, DESIGN.md "The manifest wins").
 *
 * These are defaults only: nothing here ever chooses real Google Cloud as the target.
 * A missing or unreadable file is no configuration, never an error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface GcloudDefaults {
  /** The active configuration's name (for messages). */
  configuration: string;
  /** `core/project`. */
  project?: string;
  /** `run/region`. */
  region?: string;
}

/** The gcloud configuration directory for this environment. */
export function gcloudConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.CLOUDSDK_CONFIG) return env.CLOUDSDK_CONFIG;
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'gcloud');
  return path.join(env.HOME || os.homedir(), '.config', 'gcloud');
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `section/key` → value from INI text (gcloud's configuration files; `;`/`#` comments). */
export function parseIni(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq <= 0 || !section) continue;
    out.set(`${section}/${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim());
  }
  return out;
}

/** The active configuration's `core/project` and `run/region`. */
export function readGcloudDefaults(env: NodeJS.ProcessEnv): GcloudDefaults {
  const dir = gcloudConfigDir(env);
  const configuration = env.CLOUDSDK_ACTIVE_CONFIG_NAME?.trim() || readText(path.join(dir, 'active_config'))?.trim() || 'default';
  const props = parseIni(readText(path.join(dir, 'configurations', `config_${configuration}`)) ?? '');
  const project = env.CLOUDSDK_CORE_PROJECT?.trim() || props.get('core/project') || undefined;
  const region = props.get('run/region') || undefined;
  return { configuration, project, region };
}
