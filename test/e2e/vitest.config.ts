/**
 * Browser end-to-end tests (real Chromium via playwright-core against `npm run dev`'s
 * stack started on free ports). Separate from the root config: heavy, and they need
 * /usr/bin/chromium, PostgreSQL and Redis.
 *
 *   npx vitest run --config test/e2e/vitest.config.ts
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export default defineConfig({
  root,
  test: {
    name: "e2e",
    environment: "node",
    // The web client's own unit tests (web/src/*.test.ts) run here too: fast, no browser.
    include: ["test/e2e/**/*.e2e.test.ts", "web/src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file starts its own stack; one at a time keeps the machine responsive.
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
