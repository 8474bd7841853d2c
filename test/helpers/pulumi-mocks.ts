/**
 * Pulumi mocks for component tests: every registered resource is recorded with its inputs,
 * so tests assert exact child types, names and inputs. One recorder per test file (vitest
 * runs files in separate processes).
 */
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine, type MockEngineOptions, type RecordedResource } from "../../infra/plan/mock-engine";

export type { RecordedResource } from "../../infra/plan/mock-engine";

export type MockOptions = Omit<MockEngineOptions, "project">;

/**
 * Install mocks and return the live list of registered resources (the same engine stand-in
 * `npm run plan` uses). Call before importing or constructing anything that reads config.
 */
export function installPulumiMocks(options: MockOptions = {}): RecordedResource[] {
  return installMockEngine(options);
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Resources of one type token. */
export function ofType(recorded: readonly RecordedResource[], type: string): RecordedResource[] {
  return recorded.filter((r) => r.type === type);
}

/** The one resource of a type and name; fails loudly when absent. */
export function find(recorded: readonly RecordedResource[], type: string, name: string): RecordedResource {
  const match = recorded.find((r) => r.type === type && r.name === name);
  if (match === undefined) {
    const names = ofType(recorded, type).map((r) => r.name);
    throw new Error(`no ${type} named ${name}; registered: ${names.join(", ") || "none"}`);
  }
  return match;
}
