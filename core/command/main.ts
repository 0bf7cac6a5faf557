/**
 * The body of every runtimes/<rt>/main.ts: run the `tricorn` command with
 * the runtime's services and exit with its code. The only place in core
 * that ends the process (through {@link Runtime.exit}).
 */
import { runCli } from "./command.ts";
import { describeError, errorMessage } from "../log/logger.ts";
import type { Runtime } from "./runtime.ts";
import { EXIT_FAILURE } from "../config/errors.ts";

/**
 * Entry-point body shared by every runtimes/<rt>/main.ts: run the command and
 * exit with its code. An unexpected error (a bug) is still reported as one
 * line; set TRICORN_DEBUG=1 to see its stack.
 */
export function runMain(rt: Runtime): void {
  runCli(rt).then(
    (code) => rt.exit(code),
    (error: unknown) => {
      const detail = rt.env.TRICORN_DEBUG ? describeError(error) : errorMessage(error);
      rt.writeStderr(`tricorn: internal error: ${detail}\n`);
      rt.exit(EXIT_FAILURE);
    },
  );
}
