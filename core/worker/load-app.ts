/**
 * Importing APP (`file[:export]`) in a worker and turning its export into a
 * {@link RequestHandler} through the adapters; every failure is one
 * {@link StartupError} line (exit 2).
 */
import { AppLoadError, baseName, locateApp, missingPackage, pickExport } from "../config/app-spec.ts";
import type { AppFileLookup, PickedExport } from "../config/app-spec.ts";
import { describeError, errorMessage } from "../log/logger.ts";
import type { AppLoader } from "../runtime/platform.ts";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../log/logger.ts";
import type { RequestHandler } from "../server/types.ts";
import { EXIT_USAGE, StartupError } from "../config/errors.ts";
import { buildHandler } from "../../adapters/detect.ts";
import { describeLoadFailure } from "../config/load-error.ts";
import type { HandlerOptions } from "../../adapters/detect.ts";

/** Called with the picked export and its label (`export default`), e.g. to read its `port`/`hostname`. */
export type ExportObserver = (value: unknown, label: string) => void;

/**
 * Import APP and turn its export into a {@link RequestHandler}. Every failure
 * becomes a one-line {@link StartupError} (exit 2); the stack of an error
 * thrown while importing goes to the log at debug level.
 */
export function loadHandler(
  loader: AppLoader & AppFileLookup,
  app: string,
  iface: Settings["interface"],
  logger: Logger,
  handlerOptions: Partial<HandlerOptions> = {},
  onExport?: ExportObserver,
): Promise<RequestHandler> {
  return loadApp(loader, app, logger, async (picked) => {
    onExport?.(picked.value, `export ${picked.name}`);
    const built = await buildHandler(picked.value, iface, { ...handlerOptions, logger }, picked.name);
    logger.info(`App interface: ${built.description} (export ${picked.name})`);
    return built.handler;
  });
}

/**
 * Import APP, pick its export and make something of it with `build`. Every
 * failure (`build` throwing included) becomes a one-line
 * {@link StartupError} (exit 2), as in {@link loadHandler}.
 */
export async function loadApp<T>(
  loader: AppLoader & AppFileLookup,
  app: string,
  logger: Logger,
  build: (picked: PickedExport) => T | Promise<T>,
): Promise<T> {
  try {
    const { spec, path } = locateApp(loader, app);
    let namespace: Record<string, unknown>;
    try {
      namespace = await loader.importModule(path);
    } catch (error) {
      if (error instanceof AppLoadError) throw error;
      logger.debug(`importing ${path} failed:\n${describeError(error)}`);
      const reason = errorMessage(error);
      const pkg = missingPackage(reason);
      if (pkg !== null) throw new AppLoadError(`cannot load app ${JSON.stringify(spec.file)}: ${reason} (npm install ${pkg})`);
      const located = error instanceof SyntaxError ? (loader.locateSyntaxError?.(path, error) ?? null) : null;
      throw new AppLoadError(`cannot load app ${JSON.stringify(spec.file)}: ${describeLoadFailure(reason, error, path, baseName(spec.file), located)}`);
    }
    const picked = pickExport(namespace, spec);
    try {
      return await build(picked);
    } catch (error) {
      throw new AppLoadError(`${baseName(spec.file)}: ${errorMessage(error)}`);
    }
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
}
