/** The offline program run builds no stack traces the mock engine would ignore, and leaves the process as it found it. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { withoutStackTraces } from "../../infra/plan/run-program";

/** `Resource.callsites` is private in the SDK's types; the SDK calls it for every resource. */
const Resource = pulumi.Resource as unknown as { callsites(): unknown[] };

describe("withoutStackTraces", () => {
  it("builds no error stacks and no resource source positions inside, and restores both after", async () => {
    const limit = Error.stackTraceLimit;
    const callsites = Resource.callsites;
    const inside = await withoutStackTraces(async () => ({ stack: new Error("x").stack, frames: Resource.callsites() }));
    expect(inside.stack).toBe("Error: x");
    expect(inside.frames).toEqual([]);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(Resource.callsites).toBe(callsites);
    expect(Resource.callsites().length).toBeGreaterThan(0);
  });

  it("restores them when the program fails", async () => {
    const limit = Error.stackTraceLimit;
    await expect(withoutStackTraces(() => Promise.reject(new Error("program failed")))).rejects.toThrow("program failed");
    expect(Error.stackTraceLimit).toBe(limit);
    expect(Resource.callsites().length).toBeGreaterThan(0);
  });
});
