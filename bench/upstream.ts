/**
 * The bench's model upstream, in its own process (its event loop never competes with the
 * load generator's): dev/demo-model.ts on an ephemeral loopback port. The bench uses its
 * `scenario:echo` model, which streams the user message back word by word, so the answer
 * length is chosen by the bench message. Prints one JSON line {url}; stops on SIGTERM or
 * when its parent closes stdin.
 */
import { startDemoModel } from "../dev/demo-model";

const key = process.env.BENCH_UPSTREAM_KEY;
if (!key) throw new Error("BENCH_UPSTREAM_KEY is required");
const server = await startDemoModel({ port: 0, host: "127.0.0.1", apiKeys: [key] });
// The demo model records every request body; a long bench would grow that list without bound.
const trim = setInterval(() => (server.requests.length = 0), 1000);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(trim);
  await server.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.on("close", () => void stop());
process.stdin.resume();
