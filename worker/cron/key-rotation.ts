/**
 * Daily: each provider key and each encryption key has a rotation date in KEY_ROTATION_JSON
 * (`{"OPENAI_API_KEY":"2026-12-01","ENCRYPTION_KEYS:k2":"2027-03-01"}`). Past due → alert;
 * more than 30 days past → critical. Names only: values never leave the Worker.
 */
import type { Alerter } from "../lib/alerts";

export const CRITICAL_AFTER_DAYS = 30;

export interface RotationFinding {
  key: string;
  due: string;
  daysPast: number;
  severity: "warning" | "critical";
}

export function findDueKeys(schedule: Record<string, string>, now: Date): RotationFinding[] {
  const found: RotationFinding[] = [];
  for (const [key, due] of Object.entries(schedule)) {
    const dueAt = Date.parse(`${due}T00:00:00Z`);
    if (Number.isNaN(dueAt) || dueAt > now.getTime()) continue;
    const daysPast = Math.floor((now.getTime() - dueAt) / 86_400_000);
    found.push({ key, due, daysPast, severity: daysPast > CRITICAL_AFTER_DAYS ? "critical" : "warning" });
  }
  return found;
}

export async function runKeyRotationCheck(schedule: Record<string, string>, alerter: Alerter, now = new Date()): Promise<RotationFinding[]> {
  const findings = findDueKeys(schedule, now);
  for (const f of findings) {
    await alerter.send({
      kind: f.severity === "critical" ? "key_rotation_critical" : "key_rotation_due",
      subject: f.key,
      severity: f.severity,
      text: `Key ${f.key} was due for rotation on ${f.due} (${f.daysPast} days ago).`,
    });
  }
  return findings;
}
