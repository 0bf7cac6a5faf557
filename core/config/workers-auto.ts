/**
 * `--workers auto`: one worker per CPU this process may actually use — the
 * machine's CPU count (as the runtime reports it, affinity included where
 * it can tell), lowered to a container's CPU quota. Kubernetes and Docker
 * express `resources.limits.cpu` / `--cpus` as a CFS quota in the cgroup,
 * which the CPU count does not show: a pod limited to 2 CPUs on a 64-core
 * node should run 2 workers, not 64.
 */

/** What `auto` is stored as until {@link resolveWorkers} replaces it (never a real count: `workers` is at least 1). */
export const WORKERS_AUTO = 0;

/** Reads a file as text, or null when it is missing or unreadable. */
export type ReadFile = (path: string) => string | null;

/**
 * The cgroup's CPU limit in CPUs (`1.5` for a quota of 150 ms per 100 ms),
 * or null when there is none. cgroup v2: `cpu.max` (`QUOTA PERIOD` or
 * `max PERIOD`) of this process's cgroup (from /proc/self/cgroup) or of the
 * root of a container's cgroup namespace; cgroup v1: `cpu.cfs_quota_us`
 * (-1 = none) and `cpu.cfs_period_us`.
 */
export function cgroupCpuLimit(read: ReadFile): number | null {
  const membership = read("/proc/self/cgroup") ?? "";
  const v2Path = /^0::(\/\S*)$/m.exec(membership)?.[1] ?? "/";
  for (const dir of new Set([`/sys/fs/cgroup${v2Path === "/" ? "" : v2Path}`, "/sys/fs/cgroup"])) {
    const max = read(`${dir}/cpu.max`);
    if (max === null) continue;
    const [quota, period] = max.trim().split(/\s+/);
    return quota === "max" ? null : ratio(quota, period);
  }
  const v1Path = /^\d+:(?:[^:]*,)?cpu(?:,[^:]*)?:(\/\S*)$/m.exec(membership)?.[1] ?? "/";
  for (const dir of new Set([`/sys/fs/cgroup/cpu${v1Path === "/" ? "" : v1Path}`, "/sys/fs/cgroup/cpu"])) {
    const quota = read(`${dir}/cpu.cfs_quota_us`);
    if (quota === null) continue;
    return ratio(quota.trim(), read(`${dir}/cpu.cfs_period_us`)?.trim());
  }
  return null;
}

/** quota / period, or null for "no limit" (-1, missing or malformed values). */
function ratio(quota: string | undefined, period: string | undefined): number | null {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

/** The worker count for `auto` and a one-line explanation for the log. */
export function autoWorkers(cpuCount: number, read: ReadFile): { workers: number; reason: string } {
  const cpus = Math.max(1, Math.floor(cpuCount));
  const limit = cgroupCpuLimit(read);
  if (limit === null || Math.ceil(limit) >= cpus) return { workers: cpus, reason: `${cpus} CPU(s)` };
  const workers = Math.max(1, Math.ceil(limit));
  return { workers, reason: `${cpus} CPU(s), cgroup CPU quota ${Number(limit.toFixed(2))}` };
}

/**
 * Replace `workers: auto` in `settings` by the count for this machine;
 * returns the line for the master's log, or null when the count was given.
 */
export function resolveAutoWorkers(
  rt: { cpuCount(): number; readTextFile(path: string): string },
  settings: { workers: number },
): string | null {
  if (settings.workers !== WORKERS_AUTO) return null;
  const read: ReadFile = (path) => {
    try {
      return rt.readTextFile(path);
    } catch {
      return null;
    }
  };
  const { workers, reason } = autoWorkers(rt.cpuCount(), read);
  settings.workers = workers;
  return `--workers auto: ${workers} (${reason})`;
}
