/** dev/preflight.ts: a missing service is named, with its address and how to start or install it. */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { checkServices, MissingServiceError } from "../../dev/preflight";

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

describe("checkServices", () => {
  it("passes when Redis and PostgreSQL answer", async () => {
    await expect(checkServices({ redisUrl: REDIS_URL, databaseUrl: PG_URL })).resolves.toBeUndefined();
  });

  it("names both services, their addresses and how to start or install them", async () => {
    const [rp, pp] = [await closedPort(), await closedPort()];
    const err = await checkServices({
      redisUrl: `redis://127.0.0.1:${rp}`,
      databaseUrl: `postgres://postgres@127.0.0.1:${pp}/unialist`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingServiceError);
    const msg = (err as Error).message;
    expect(msg).toContain(`Redis is not reachable at 127.0.0.1:${rp}`);
    expect(msg).toContain("REDIS_URL");
    expect(msg).toMatch(/redis-server .*--port \d+/);
    expect(msg).toMatch(/apt-get install redis-server/);
    expect(msg).toContain(`PostgreSQL is not reachable at 127.0.0.1:${pp}`);
    expect(msg).toContain("DATABASE_URL");
    expect(msg).toMatch(/pg_ctlcluster/);
    expect(msg).toMatch(/apt-get install postgresql/);
  });

  it("names only what is missing, and never the password", async () => {
    const rp = await closedPort();
    const err = await checkServices({ redisUrl: `redis://:s3cret-pass@127.0.0.1:${rp}`, databaseUrl: PG_URL }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingServiceError);
    expect((err as Error).message).toContain(`Redis is not reachable at 127.0.0.1:${rp}`);
    expect((err as Error).message).not.toContain("PostgreSQL");
    expect((err as Error).message).not.toContain("s3cret-pass");

    const pp = await closedPort();
    const pgErr = await checkServices({ redisUrl: REDIS_URL, databaseUrl: `postgres://app:pg-s3cret@127.0.0.1:${pp}/x` }).catch((e: unknown) => e);
    expect((pgErr as Error).message).toContain(`PostgreSQL is not reachable at 127.0.0.1:${pp}`);
    expect((pgErr as Error).message).not.toContain("Redis");
    expect((pgErr as Error).message).not.toContain("pg-s3cret");
  });
});
