/** Keyset-pagination cursors: an opaque `(timestamp, uuid)` pair, refused as 400 when forged. */
import { AppError } from "../errors";
import { isUuid } from "./json";

export const encodeCursor = (at: Date, id: string) => btoa(`${at.toISOString()}|${id}`).replace(/=+$/, "");

export function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [iso, id] = atob(cursor).split("|");
    const at = new Date(iso ?? "");
    // Years outside 1..9999 are valid JS dates that PostgreSQL refuses (a 500): not a cursor of ours.
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1 || year > 9999 || !isUuid(id ?? "")) throw new Error();
    return { at, id: id! };
  } catch {
    throw new AppError("invalid_input", "Invalid cursor.");
  }
}
