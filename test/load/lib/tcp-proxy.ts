/**
 * A TCP proxy on 127.0.0.1 in front of the shared PostgreSQL, owned by one run:
 *  - `cut()` destroys every connection and stops listening (new connections are refused),
 *    `restore()` listens again on the same port: a PostgreSQL outage for this run only;
 *  - `maxConnections` caps the connections opened to PostgreSQL at once; further ones wait
 *    (paused, like a pooler's queue) for a free slot, so a burst of the Worker (one pool
 *    per request) cannot exhaust the shared server's max_connections. The peak DEMAND
 *    (open + waiting) is recorded: that is what the Worker would have asked PostgreSQL for.
 */
import net from "node:net";

export interface TcpProxyStats {
  /** Client connections accepted. */
  accepted: number;
  /** Client connections refused or destroyed by a cut. */
  cutConnections: number;
  /** Most connections open to the target at once. */
  peakOpen: number;
  /** Most connections open + waiting for a slot at once. */
  peakDemand: number;
  /** Connections that had to wait for a slot. */
  queued: number;
  /** Longest wait for a slot, ms. */
  maxWaitMs: number;
  /** Connections closed by the client while still waiting. */
  gaveUpWaiting: number;
}

export interface TcpProxy {
  port: number;
  url(dbName: string, user?: string): string;
  stats: TcpProxyStats;
  isCut(): boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Resets the peak counters (e.g. after set-up traffic). */
  resetPeaks(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  waitingSince?: number;
}

export async function startTcpProxy(opts: { targetHost?: string; targetPort: number; port?: number; maxConnections?: number }): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? "127.0.0.1";
  const max = opts.maxConnections ?? Infinity;
  const pairs = new Set<Pair>();
  const waiting: Pair[] = [];
  let open = 0;
  let cut = false;
  const stats: TcpProxyStats = { accepted: 0, cutConnections: 0, peakOpen: 0, peakDemand: 0, queued: 0, maxWaitMs: 0, gaveUpWaiting: 0 };

  const demand = () => open + waiting.length;
  const note = () => {
    stats.peakOpen = Math.max(stats.peakOpen, open);
    stats.peakDemand = Math.max(stats.peakDemand, demand());
  };

  const release = (p: Pair) => {
    if (!pairs.delete(p)) return;
    if (p.upstream) open--;
    else {
      const i = waiting.indexOf(p);
      if (i >= 0) {
        waiting.splice(i, 1);
        stats.gaveUpWaiting++;
      }
    }
    p.client.destroy();
    p.upstream?.destroy();
    pump();
  };

  const connect = (p: Pair) => {
    if (p.waitingSince !== undefined) stats.maxWaitMs = Math.max(stats.maxWaitMs, Date.now() - p.waitingSince);
    open++;
    note();
    const up = net.connect({ host: targetHost, port: opts.targetPort });
    p.upstream = up;
    up.setNoDelay(true);
    up.on("error", () => release(p));
    up.on("close", () => release(p));
    p.client.pipe(up);
    up.pipe(p.client);
    p.client.resume();
  };

  function pump() {
    while (!cut && open < max && waiting.length > 0) {
      const p = waiting.shift()!;
      if (pairs.has(p) && !p.client.destroyed) connect(p);
    }
  }

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    if (cut) {
      client.destroy();
      stats.cutConnections++;
      return;
    }
    stats.accepted++;
    client.setNoDelay(true);
    const p: Pair = { client };
    pairs.add(p);
    client.on("error", () => release(p));
    client.on("close", () => release(p));
    if (open < max) connect(p);
    else {
      p.waitingSince = Date.now();
      stats.queued++;
      waiting.push(p);
      note();
    }
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const destroyAll = () => {
    for (const p of [...pairs]) {
      stats.cutConnections++;
      release(p);
    }
  };

  const port = await listen(opts.port ?? 0);
  return {
    port,
    url: (dbName, user = "postgres") => `postgres://${user}@127.0.0.1:${port}/${dbName}`,
    stats,
    isCut: () => cut,
    async cut() {
      cut = true;
      const closed = stopListening(); // new connections: ECONNREFUSED
      destroyAll();
      await closed;
    },
    async restore() {
      if (!cut) return;
      cut = false;
      // The port was ours a moment ago; retry briefly if the kernel is slow to release it.
      for (let i = 0; ; i++) {
        try {
          await listen(port);
          break;
        } catch (e) {
          if (i >= 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      pump();
    },
    resetPeaks() {
      stats.peakOpen = open;
      stats.peakDemand = demand();
      stats.maxWaitMs = 0;
    },
    async close() {
      cut = true;
      const closed = stopListening();
      for (const p of [...pairs]) release(p);
      await closed;
    },
  };
}
