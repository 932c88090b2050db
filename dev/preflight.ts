/**
 * Checks that Redis and PostgreSQL answer before anything starts, and says what is
 * missing, where, and how to get it.
 */
import net from "node:net";

function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export class MissingServiceError extends Error {}

export async function checkServices(opts: { redisUrl: string; databaseUrl: string }): Promise<void> {
  const problems: string[] = [];
  const r = new URL(opts.redisUrl);
  const redisPort = Number(r.port || 6379);
  if (!(await reachable(r.hostname, redisPort))) {
    problems.push(
      `Redis is not reachable at ${r.hostname}:${redisPort} (REDIS_URL).\n` +
        `  Start it:   redis-server --daemonize yes --bind 127.0.0.1 --port ${redisPort} --save ""\n` +
        `  Install it: sudo apt-get install redis-server   (macOS: brew install redis)`,
    );
  }
  const p = new URL(opts.databaseUrl);
  const pgPort = Number(p.port || 5432);
  if (!(await reachable(p.hostname, pgPort))) {
    problems.push(
      `PostgreSQL is not reachable at ${p.hostname}:${pgPort} (DATABASE_URL).\n` +
        `  Start it:   sudo pg_ctlcluster $(ls /etc/postgresql) main start   (or: brew services start postgresql)\n` +
        `  Install it: sudo apt-get install postgresql   (macOS: brew install postgresql)`,
    );
  }
  if (problems.length) throw new MissingServiceError(problems.join("\n"));
}
