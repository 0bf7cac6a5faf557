/**
 * Start-up failures as the user sees them: one line and an exit code.
 * Every layer that can fail before serving (binding, TLS files, loading the
 * app, settings the engine cannot honour) throws {@link StartupError}; only
 * the command (core/command/) prints it and turns it into the exit code.
 */

/** A start-up failure: one line for the user and the process exit code. */
export class StartupError extends Error {
  override name = "StartupError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit code for usage errors (bad option, bad APP). */
export const EXIT_USAGE = 2;
/** Exit code for environment failures (cannot bind, cannot write a file). */
export const EXIT_FAILURE = 1;
