/**
 * Calling a server hook (core/arbiter/arbiter-types.ts `ArbiterHooks`) from
 * the arbiter: a missing hook is skipped, a throw or a rejected promise is
 * logged and never fatal.
 */
import type { ArbiterHooks } from "./arbiter-types.ts";
import type { Logger } from "../log/logger.ts";
import { messageOf } from "./arbiter-types.ts";

/**
 * Run hook `name` of `hooks` with `args`. `wait`: resolve once the hook's
 * promise settled (on_starting, on_reload, on_exit); otherwise at once, and a
 * later rejection is still logged.
 */
export async function callHook(hooks: ArbiterHooks | undefined, name: keyof ArbiterHooks, args: unknown[], logger: Logger, wait = false): Promise<void> {
  const fn = hooks?.[name] as ((...a: unknown[]) => unknown) | undefined;
  if (typeof fn !== "function") return;
  const failed = (error: unknown) => logger.error(`Hook ${name} failed: ${messageOf(error)}`, error);
  try {
    const result = fn(...args);
    if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
      if (wait) await result;
      else (result as Promise<unknown>).then(undefined, failed);
    }
  } catch (error) {
    failed(error);
  }
}
