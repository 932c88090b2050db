/**
 * Vite config of the web chat: root web/, output web/dist (deployable with
 * `wrangler pages deploy web/dist`). The dev server relays the API paths to the Worker.
 *
 *   WEB_PORT       dev server port (default 5173)
 *   WORKER_URL     Worker origin for the dev proxy (set by dev/start.ts); otherwise
 *                  http://127.0.0.1:${PORT || 8787}
 *   VITE_API_BASE  optional API origin for production builds (default: same origin). When set,
 *                  it is added to connect-src in the CSP and the Worker's CORS_ORIGINS must
 *                  contain the Pages origin.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, loadEnv, type Plugin } from "vite";

const webDir = path.dirname(fileURLToPath(import.meta.url));

/** The origin of VITE_API_BASE, or "" for same-origin. Throws on anything but http(s). */
export function apiOrigin(base: string | undefined): string {
  if (!base) return "";
  const url = new URL(base);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`VITE_API_BASE must be an http(s) URL, got ${url.protocol}`);
  return url.origin;
}

/**
 * Puts the API origin (if any) into connect-src: in the <meta> CSP of index.html and in
 * the Cloudflare Pages `_headers` file of the build.
 */
function cspApiOrigin(origin: string): Plugin {
  const connect = (text: string) => text.replace(/connect-src 'self'[^;]*;/g, `connect-src 'self'${origin ? ` ${origin}` : ""};`);
  let outDir = "";
  return {
    name: "unialist-csp-api-origin",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    transformIndexHtml: (html) => connect(html),
    closeBundle() {
      const file = path.join(outDir, "_headers");
      if (origin && fs.existsSync(file)) fs.writeFileSync(file, connect(fs.readFileSync(file, "utf8")));
    },
  };
}

export default defineConfig(({ mode, command }) => {
  const env = { ...loadEnv(mode, webDir, "VITE_"), ...process.env };
  const port = Number(process.env.WEB_PORT || 5173);
  const origin = apiOrigin(env.VITE_API_BASE);
  const worker = process.env.WORKER_URL || `http://127.0.0.1:${process.env.PORT || 8787}`;
  const proxy = Object.fromEntries(["/api", "/v1", "/health"].map((p) => [p, { target: worker, changeOrigin: true }]));
  return {
    root: webDir,
    envDir: webDir,
    // One cache (and Vite 8 process lock) per port: several stacks (npm run dev, e2e tests)
    // can run side by side on different ports.
    cacheDir: process.env.VITE_CACHE_DIR || path.join(webDir, "..", "node_modules", ".vite", command === "build" ? "web-build" : `web-${port}`),
    clearScreen: false,
    plugins: [cspApiOrigin(origin)],
    server: {
      host: "127.0.0.1",
      port,
      strictPort: true,
      proxy,
    },
    preview: { host: "127.0.0.1", port, strictPort: true, proxy },
    build: {
      outDir: path.join(webDir, "dist"),
      emptyOutDir: true,
      sourcemap: false,
      target: "es2022",
      // No inline <script> in index.html (CSP script-src 'self').
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
    },
  };
});
