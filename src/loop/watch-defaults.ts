/** Defaults of `runctl watch`, apart from the loop so `--help` does not load chokidar. */

/**
 * Default quiet time after the last file event (`--debounce`). Editors save in bursts
 * that end within milliseconds: an in-place write (VS Code) is one or two events; vim
 * renames the file to a backup, writes a new one and deletes the backup; JetBrains and
 * Emacs write a temporary file and rename it over. chokidar (`atomic`, on by default)
 * already folds a delete followed by a re-create into one `change`, and measured here
 * every one of those styles produced its last event within 20 ms of the save starting.
 * 50 ms covers that with margin; a fixed 300 ms only added latency to every save.
 */
export const DEFAULT_DEBOUNCE = '50ms';
