import { describe, expect, it } from "vitest";
import { WORKERS_AUTO, autoWorkers, cgroupCpuLimit, resolveAutoWorkers } from "../../core/config/workers-auto.ts";
import { SETTINGS } from "../../core/config/settings.ts";

/** A file system of the given files; everything else is missing. */
const files = (entries: Record<string, string>) => (path: string) => entries[path] ?? null;

describe("--workers auto", () => {
  it("parses auto (any case) and still rejects other words and 0", () => {
    expect(SETTINGS.workers.parse("auto")).toBe(WORKERS_AUTO);
    expect(SETTINGS.workers.parse(" AUTO ")).toBe(WORKERS_AUTO);
    expect(SETTINGS.workers.parse("3")).toBe(3);
    expect(() => SETTINGS.workers.parse("0")).toThrow('expected a positive integer or "auto", got "0"');
    expect(() => SETTINGS.workers.parse("many")).toThrow('expected a positive integer or "auto", got "many"');
  });

  it("reads cgroup v2 cpu.max of the process's cgroup, then of the namespace root", () => {
    expect(cgroupCpuLimit(files({ "/proc/self/cgroup": "0::/kubepods/pod1\n", "/sys/fs/cgroup/kubepods/pod1/cpu.max": "150000 100000\n" }))).toBe(1.5);
    expect(cgroupCpuLimit(files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "200000 100000\n" }))).toBe(2);
    expect(cgroupCpuLimit(files({ "/proc/self/cgroup": "0::/x\n", "/sys/fs/cgroup/cpu.max": "50000 100000\n" }))).toBe(0.5);
    expect(cgroupCpuLimit(files({ "/sys/fs/cgroup/cpu.max": "max 100000\n" }))).toBeNull();
  });

  it("reads cgroup v1 cfs quota and period; -1 is no limit", () => {
    const v1 = (quota: string) =>
      files({ "/proc/self/cgroup": "4:cpu,cpuacct:/docker/abc\n", "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us": quota, "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us": "100000\n" });
    expect(cgroupCpuLimit(v1("300000\n"))).toBe(3);
    expect(cgroupCpuLimit(v1("-1\n"))).toBeNull();
    expect(cgroupCpuLimit(files({}))).toBeNull();
  });

  it("takes the smaller of CPU count and quota, rounding a fractional quota up, at least 1", () => {
    expect(autoWorkers(8, files({ "/sys/fs/cgroup/cpu.max": "150000 100000" }))).toEqual({ workers: 2, reason: "8 CPU(s), cgroup CPU quota 1.5" });
    expect(autoWorkers(8, files({ "/sys/fs/cgroup/cpu.max": "10000 100000" })).workers).toBe(1);
    expect(autoWorkers(2, files({ "/sys/fs/cgroup/cpu.max": "400000 100000" }))).toEqual({ workers: 2, reason: "2 CPU(s)" });
    expect(autoWorkers(4, files({}))).toEqual({ workers: 4, reason: "4 CPU(s)" });
  });

  it("resolveAutoWorkers replaces auto only", () => {
    const rt = { cpuCount: () => 6, readTextFile: (path: string): string => { throw new Error(`no ${path}`); } };
    const auto = { workers: WORKERS_AUTO };
    expect(resolveAutoWorkers(rt, auto)).toBe("--workers auto: 6 (6 CPU(s))");
    expect(auto.workers).toBe(6);
    const given = { workers: 3 };
    expect(resolveAutoWorkers(rt, given)).toBeNull();
    expect(given.workers).toBe(3);
  });
});
