/**
 * Starts the local bridges against the real Redis and PostgreSQL, in a database and key
 * prefix unique to this run, and hands their addresses to the Worker under test.
 * Everything it creates is removed afterwards.
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startLocalServices, type LocalServices } from "./support/services";

declare module "vitest" {
  export interface ProvidedContext {
    services: LocalServices["bindings"];
    databaseUrl: string;
    redisUrl: string;
    redisPrefix: string;
    doubleUrl: string;
    idpUrl: string;
    sinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString("hex");
  const services = await startLocalServices(runId);
  project.provide("services", services.bindings);
  project.provide("databaseUrl", services.databaseUrl);
  project.provide("redisUrl", services.redisUrl);
  project.provide("redisPrefix", services.bindings.REDIS_KEY_PREFIX!);
  project.provide("doubleUrl", services.doubleUrl);
  project.provide("sinkUrl", services.sinkUrl);
  project.provide("idpUrl", services.idpUrl);
  return async () => {
    await services.stop();
  };
}
