/**
 * Who used the CPU during a measurement: per-process CPU time from /proc (Linux only;
 * elsewhere every call returns empty results). Our own processes are found by walking the
 * tree below the bench; Redis and PostgreSQL are found by name and may also be serving
 * other users of the machine (marked "shared").
 */
import fs from "node:fs";
import os from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = raw.lastIndexOf(")");
    const comm = raw.slice(raw.indexOf("(") + 1, close);
    const f = raw.slice(close + 2).split(" ");
    return { pid, ppid: Number(f[1]), comm, cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcStat[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const e of entries) if (/^\d+$/.test(e)) {
    const s = readStat(Number(e));
    if (s) out.push(s);
  }
  return out;
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface Roles {
  /** pid -> role name, for processes we started (their descendants inherit the role). */
  roots: Map<number, string>;
}

export interface CpuSnapshot {
  at: number;
  perRole: Map<string, number>;
  machine?: { busy: number; total: number };
  /** Our workerd processes: a new one between two snapshots means wrangler dev reloaded the Worker. */
  workerdPids: Set<number>;
}

function roleOf(p: ProcStat, byPid: Map<number, ProcStat>, roots: Map<number, string>): string | undefined {
  if (p.comm === "workerd") return "workerd (Worker runtime)";
  for (let cur: ProcStat | undefined = p, i = 0; cur && i < 64; cur = byPid.get(cur.ppid), i++) {
    const r = roots.get(cur.pid);
    if (r) return r;
  }
  if (p.comm.startsWith("redis-server")) return "redis-server (shared)";
  if (p.comm.startsWith("postgres") || p.comm.startsWith("postmaster")) return "postgres (shared)";
  return undefined;
}

export function snapshot(roots: Map<number, string>): CpuSnapshot {
  const procs = allProcs();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const perRole = new Map<string, number>();
  const workerdPids = new Set<number>();
  for (const p of procs) {
    let role = roleOf(p, byPid, roots);
    // workerd processes that are not ours (other engineers' tests) are not counted.
    if (role === "workerd (Worker runtime)") {
      if (isDescendant(p, byPid, roots)) workerdPids.add(p.pid);
      else role = undefined;
    }
    if (role) perRole.set(role, (perRole.get(role) ?? 0) + p.cpuTicks);
  }
  return { at: performance.now(), perRole, machine: machineTicks(), workerdPids };
}

function isDescendant(p: ProcStat, byPid: Map<number, ProcStat>, roots: Map<number, string>): boolean {
  for (let cur: ProcStat | undefined = p, i = 0; cur && i < 64; cur = byPid.get(cur.ppid), i++) if (roots.has(cur.pid)) return true;
  return false;
}

export interface CpuUsage {
  seconds: number;
  /** CPU used by role, in % of one core, over the interval. */
  perRoleCorePct: Record<string, number>;
  /** Whole machine busy %, all cores (includes other users of the machine). */
  machineBusyPct?: number;
  cores: number;
  /** A workerd process of ours started during the interval (wrangler dev reloads on source changes). */
  workerdRestarted: boolean;
}

export function usageBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const seconds = (b.at - a.at) / 1000;
  const perRoleCorePct: Record<string, number> = {};
  for (const [role, ticks] of b.perRole) {
    const d = ticks - (a.perRole.get(role) ?? 0);
    if (d > 0) perRoleCorePct[role] = Math.round((d / TICKS_PER_SECOND / seconds) * 1000) / 10;
  }
  let machineBusyPct: number | undefined;
  if (a.machine && b.machine && b.machine.total > a.machine.total) {
    machineBusyPct = Math.round(((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 1000) / 10;
  }
  const workerdRestarted = a.workerdPids.size > 0 && [...b.workerdPids].some((p) => !a.workerdPids.has(p));
  return { seconds, perRoleCorePct, machineBusyPct, cores: os.cpus().length, workerdRestarted };
}
