/**
 * `npm run --silent scan -- pii|injection`: runs the Worker's own detectors on JSON lines
 * `{"id", "text"}` read from stdin and prints one JSON line per input line:
 *   pii       {"id","spans":[{"type","start","end"}]}   (UTF-16 offsets, end exclusive)
 *   injection {"id","level","score","rules"}
 * A line that is not JSON gives {"id":null,"error":"invalid_json","line":N}; JSON without a
 * string "text" gives {"id",...,"error":"invalid_input","line":N}. Blank lines are skipped.
 * Exit code 0 whatever the lines contain; 2 for a bad mode.
 */
import { createInterface } from "node:readline";
import { detectPii } from "../worker/stages/pii/index";

type Mode = "pii" | "injection";
type Scanner = (text: string) => Record<string, unknown>;

async function scannerFor(mode: Mode): Promise<Scanner> {
  if (mode === "pii") {
    return (text) => ({ spans: detectPii(text).map(({ type, start, end }) => ({ type, start, end })) });
  }
  // Loaded only when asked for, so the PII scan does not depend on the injection module.
  const { scoreInjection } = await import("../worker/stages/injection/index");
  return (text) => {
    const { level, score, rules } = scoreInjection(text);
    return { level, score, rules };
  };
}

/** One output record for one input line. */
function scanLine(scan: Scanner, line: string, lineNo: number): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { id: null, error: "invalid_json", line: lineNo };
  }
  const record = typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
  const id = record?.id ?? null;
  if (typeof record?.text !== "string") return { id, error: "invalid_input", line: lineNo };
  return { id, ...scan(record.text) };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== "pii" && mode !== "injection") {
    process.stderr.write("usage: npm run --silent scan -- pii|injection  < lines.jsonl\n");
    process.exitCode = 2;
    return;
  }
  const scan = await scannerFor(mode);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    const ok = process.stdout.write(`${JSON.stringify(scanLine(scan, line, lineNo))}\n`);
    if (!ok) await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  }
}

await main();
