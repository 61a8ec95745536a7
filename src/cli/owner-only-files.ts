/*
 * What linked creates is readable by its owner only. Its files hold the warehouse's rows and the
 * destinations' answers: the DuckDB file it creates, the write-ahead log DuckDB writes beside any
 * DuckDB file it writes to (created anew after each checkpoint), saved plans (audience sizes,
 * warehouse errors), the controller's checkout and the output of the synth and npm it runs, the
 * files of a compute request. The process's umask covers all of them at once, child processes
 * included, with no moment in which a new file is readable by others, as a chmod after the fact
 * would leave. A file that exists keeps its mode: a umask only applies to what is created.
 */

/** Group and others get nothing on what is created. */
const OWNER_ONLY = 0o077;

/** The umask the command was started with, while owner-only files are in force. */
let started: number | undefined;

/** Makes what this process creates owner-only until the returned function restores the umask. */
export function createOwnerOnlyFiles(): () => void {
  const previous = process.umask(OWNER_ONLY);
  process.umask(previous | OWNER_ONLY);
  started = previous;
  return () => {
    process.umask(previous);
    started = undefined;
  };
}

/**
 * Runs `fn` with the umask the command was started with: for files that are the user's own from
 * the start, as the sources `linked init` writes into a new project.
 */
export function withStartingUmask<T>(fn: () => T): T {
  if (started === undefined) return fn();
  const mask = started;
  process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(mask | OWNER_ONLY);
  }
}
