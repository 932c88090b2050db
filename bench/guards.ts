/**
 * Part 1: the guards' cost inside workerd. Starts bench/guards-worker.ts with wrangler's
 * unstable_startWorker (same workerd, compatibility date and flags as the Worker), asks
 * it for one case at a time, and summarizes the per-iteration samples it returns.
 */
import path from "node:path";
import type { ClockInfo, CaseName, RunResult, RunSpec } from "./guards-worker";
import { summarize, type Summary } from "./stats";

export const GUARD_CASES: { name: CaseName; label: string }[] = [
  { name: "sanitize", label: "sanitize" },
  { name: "injection", label: "injection score" },
  { name: "pii", label: "PII mask" },
  { name: "encrypt", label: "encrypt (AES-GCM)" },
  { name: "output", label: "output filter+restore" },
  { name: "outputSetup", label: "  of which filter setup" },
  { name: "all", label: "all guards together" },
];
export const GUARD_SIZES = [100, 1_000, 10_000];

export interface GuardRow {
  case: CaseName;
  label: string;
  size: number;
  /** µs per message. */
  us: Summary;
  k: number;
  preemptedRetries: number;
  fixture: Record<string, unknown>;
}

export interface GuardsResult {
  clock: ClockInfo;
  method: string;
  rows: GuardRow[];
  runtime: { compatibilityDate: string; compatibilityFlags: string[] };
}

export async function runGuards(opts: { root: string; quick: boolean; log: (s: string) => void }): Promise<GuardsResult> {
  // No network: wrangler must not fetch the `cf` object or send metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const { unstable_startWorker } = await import("wrangler");
  // bench/wrangler.guards.toml: the Worker's compatibility date and flags, no bindings.
  const runtime = { compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"] };
  const worker = await unstable_startWorker({
    config: path.join(opts.root, "bench", "wrangler.guards.toml"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "warn" },
  });
  try {
    await worker.ready;
    const clock = (await (await worker.fetch("http://bench/clock")).json()) as ClockInfo;
    const method = clock.mode === "live"
      ? `workerd clock is live but coarse (${clock.tickMs} ms ticks): batches start on a tick edge and the end is interpolated within the last tick by counting clock reads to the next edge (${Math.round(clock.readsPerTick ?? 0)} reads/tick); K iterations per batch (batch ≈ target µs), percentiles over batch means (K=1: per message)`
      : `workerd clock frozen between I/O: batches of K iterations bracketed by 'await scheduler.wait(0)', minus the median empty bracket (${clock.emptyBracketUs?.toFixed(1)} µs); percentiles over batch means`;
    opts.log(`guards: ${method}`);
    const rows: GuardRow[] = [];
    for (const size of GUARD_SIZES) {
      for (const c of GUARD_CASES) {
        const spec: RunSpec = opts.quick
          ? { case: c.name, size, samples: 80, warmupMs: 60, maxMs: 300, targetBatchUs: 200 }
          : { case: c.name, size, samples: 600, warmupMs: 400, maxMs: 2500, targetBatchUs: 200 };
        const res = await worker.fetch("http://bench/run", { method: "POST", body: JSON.stringify(spec), headers: { "content-type": "application/json" } });
        const body = (await res.json()) as RunResult | { error: string };
        if ("error" in body) throw new Error(`guards ${c.name}@${size}: ${body.error}`);
        const us = summarize(body.samplesUs);
        rows.push({ case: c.name, label: c.label, size, us, k: body.k, preemptedRetries: body.preemptedRetries, fixture: body.fixture });
        opts.log(`guards: ${c.label.padEnd(22)} ${String(size).padStart(6)} chars  p50 ${us.p50.toFixed(1)} µs  p99 ${us.p99.toFixed(1)} µs  (n=${us.n}, K=${body.k}${body.preemptedRetries ? `, ${body.preemptedRetries} re-measured` : ""})`);
      }
    }
    return { clock, method, rows, runtime };
  } finally {
    await worker.dispose();
  }
}
