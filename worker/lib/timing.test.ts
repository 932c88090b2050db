import { describe, expect, it } from "vitest";
import { StageTimer } from "./timing";

describe("StageTimer", () => {
  it("records consecutive stage durations and a total, in Server-Timing syntax", () => {
    let t = 100;
    const timer = new StageTimer(() => t);
    t = 103.25;
    timer.mark("auth");
    t = 110;
    timer.mark("upstream");
    t = 111;
    expect(timer.entries).toEqual([["auth", 3.25], ["upstream", 6.75]]);
    expect(timer.header()).toBe("auth;dur=3.3, upstream;dur=6.8, total;dur=11");
  });

  it("times a parallel branch from its start until it settles, failed or not", async () => {
    let t = 0;
    const timer = new StageTimer(() => t);
    let fail!: (e: Error) => void;
    const branch = timer.span("moderation", new Promise((_, reject) => (fail = reject)));
    t = 7;
    fail(new Error("refused"));
    await expect(branch).rejects.toThrow("refused");
    expect(timer.entries).toEqual([["moderation", 7]]);
  });
});
