/** Reads a JSON body against a strict zod schema; every failure is a 400 invalid_input. */
import type { Context } from "hono";
import type { z } from "zod";
import { AppError } from "../errors";

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = JSON.parse(text);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError("invalid_input", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => ({
      path: i.path.map(String).join(".").slice(0, 100),
      message: i.message.slice(0, 200),
    }));
    throw new AppError("invalid_input", "The request body is invalid.", { details: { issues } });
  }
  return parsed.data;
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s);

/**
 * PostgreSQL text cannot hold U+0000: a query carrying it fails (a 500). Strings looked up
 * as text refuse it up front (400); short tokens stored as text refuse every control.
 */
export const NO_NUL = /^[^\u0000]*$/;
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;
