import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    // The Worker logs a JSON line per request: show them only for tests that fail.
    silent: "passed-only",
    projects: [
      {
        extends: true,
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./worker/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: inject("services") },
          })),
        ],
        test: {
          name: "worker",
          include: ["worker/**/*.test.ts", "test/integration/**/*.test.ts", "test/durable/**/*.test.ts", "test/cron/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", "dev/**/*.test.ts", "db/**/*.test.ts", "web/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
