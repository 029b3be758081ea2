/**
 * Text styles for people: colour only when the output is a terminal (and NO_COLOR is
 * unset), and the terminal's width for wrapping. Shared by the CLI's renderer and the
 * loops' text logs.
 */

export interface Style {
  /**
   * Columns of the terminal the text goes to; long values wrap to fit it. Undefined when
   * the output is not a terminal: then every value is printed whole on its line.
   */
  width?: number;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const COLOR: Style = { green: wrap('32'), yellow: wrap('33'), red: wrap('31'), dim: wrap('2'), bold: wrap('1'), cyan: wrap('36') };
export const PLAIN: Style = { green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s, bold: (s) => s, cyan: (s) => s };

/** Terminal width assumed when a terminal does not say. */
const DEFAULT_COLUMNS = 100;
/** Narrowest width wrapped to: below it, wrapping makes values harder to read, not easier. */
export const MIN_WRAP = 40;

/** Colour on a terminal (unless NO_COLOR or a dumb terminal); wrapping to its width. */
export function styleFor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv, columns?: number): Style {
  const base = isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? COLOR : PLAIN;
  return isTTY ? { ...base, width: Math.max(columns || DEFAULT_COLUMNS, MIN_WRAP) } : base;
}
