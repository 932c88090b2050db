/** dev/alert-sink.ts: Slack webhook and email API stand-in. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startAlertSink, type AlertSink } from "../../dev/alert-sink";

let sink: AlertSink;
const post = (path: string, body: unknown) =>
  fetch(`${sink.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

beforeAll(async () => {
  sink = await startAlertSink({ port: 0 });
});
afterAll(async () => {
  await sink?.close();
});

describe("alert sink", () => {
  it("accepts a Slack webhook and an email API call, prints one line each, answers 200 ok", async () => {
    const logs: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void logs.push(args.join(" ")));
    try {
      const slack = await post("/services/T000/B000/XXXX", { text: "Budget 80 % atteint\npour org-1", username: "unialist" });
      expect(slack.status).toBe(200);
      expect(await slack.text()).toBe("ok");
      const email = await post("/email", { to: "ops@example.test", subject: "Budget dépassé", text: "org-1 bloquée" });
      expect(email.status).toBe(200);
      expect(await email.text()).toBe("ok");
    } finally {
      spy.mockRestore();
    }
    expect(logs).toEqual([
      "[alert-sink] slack: Budget 80 % atteint pour org-1",
      '[alert-sink] email: to=ops@example.test subject="Budget dépassé" org-1 bloquée',
    ]);
    expect(sink.received.map((r) => r.kind)).toEqual(["slack", "email"]);

    const listed = (await (await fetch(`${sink.url}/__control/received`)).json()) as { kind: string; path: string; body: { text?: string; subject?: string } }[];
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ kind: "slack", path: "/services/T000/B000/XXXX", body: { text: "Budget 80 % atteint\npour org-1" } });
    expect(listed[1]).toMatchObject({ kind: "email", path: "/email", body: { subject: "Budget dépassé" } });
  });

  it("clears the list on DELETE and refuses other methods", async () => {
    expect((await fetch(`${sink.url}/__control/received`, { method: "DELETE" })).status).toBe(200);
    expect(sink.received).toHaveLength(0);
    expect((await fetch(`${sink.url}/anything`)).status).toBe(405);
  });
});
