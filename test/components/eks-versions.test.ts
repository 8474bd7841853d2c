/**
 * The EKS version table the config, GpuCluster and the pack share: dated rows, the support
 * arithmetic at its edges, and the shipped stacks on a version in standard support today.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig, StackConfigError } from "../../infra/config";
import {
  EKS_SUPPORT_WARNING_DAYS,
  EKS_VERSIONS,
  eksVersionProblem,
  eksVersionSupport,
  eksVersionWarning,
  newestStandardSupportVersion,
} from "../../policies/eks-versions";

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe("the EKS version table", () => {
  it("has a source and date on every row, newest first, 14 months standard then 12 extended", () => {
    for (const row of EKS_VERSIONS) {
      expect(row.source.length, row.version).toBeGreaterThan(20);
      expect(row.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const release = new Date(`${row.eksRelease}T00:00:00Z`);
      const standardEnd = new Date(`${row.endOfStandardSupport}T00:00:00Z`);
      const months = (standardEnd.getUTCFullYear() - release.getUTCFullYear()) * 12 + standardEnd.getUTCMonth() - release.getUTCMonth();
      expect(months, row.version).toBe(14);
      expect(row.endOfExtendedSupport, row.version).toBe(`${standardEnd.getUTCFullYear() + 1}${row.endOfStandardSupport.slice(4)}`);
    }
    expect(EKS_VERSIONS.map((v) => v.version)).toEqual([...EKS_VERSIONS.map((v) => v.version)].sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1])));
  });

  it("knows 1.33 left standard support on 2026-07-29 (the issue's date)", () => {
    expect(EKS_VERSIONS.find((v) => v.version === "1.33")?.endOfStandardSupport).toBe("2026-07-29");
    expect(eksVersionSupport("1.33", day("2026-07-28")).status).toBe("standard-ending");
    expect(eksVersionSupport("1.33", day("2026-07-29")).status).toBe("extended");
    expect(eksVersionSupport("1.33", day("2027-07-29")).status).toBe("unsupported");
  });

  it("warns within 60 days of the end of standard support, not before", () => {
    // 1.35 ends standard support 2027-03-27: 60 days before is 2027-01-26.
    expect(EKS_SUPPORT_WARNING_DAYS).toBe(60);
    expect(eksVersionWarning("1.35", day("2027-01-25"))).toBeUndefined();
    expect(eksVersionWarning("1.35", day("2027-01-26"))).toMatch(/leaves EKS standard support on 2027-03-27 \(in 60 days\)/);
  });

  it("names the version to upgrade to, or says the table has none newer instead of advising the same version", () => {
    expect(eksVersionWarning("1.34", day("2026-11-01"))).toMatch(/upgrade to 1\.35 before then$/);
    const newest = EKS_VERSIONS[0]!;
    const warningDay = new Date(Date.parse(`${newest.endOfStandardSupport}T12:00:00Z`) - 30 * 86_400_000);
    const warning = eksVersionWarning(newest.version, warningDay);
    expect(warning).not.toContain(`upgrade to ${newest.version}`);
    expect(warning).toMatch(/no newer version is in the pack's EKS table \(policies\/eks-versions\.ts\): add the next version's row from the EKS release calendar, then upgrade/);
  });

  it("refuses past standard support under STANDARD only, past extended support always, unknown versions always", () => {
    const today = day("2026-12-02");
    expect(eksVersionProblem("1.33", "STANDARD", today)).toMatch(/left EKS standard support on 2026-07-29/);
    expect(eksVersionProblem("1.33", "EXTENDED", today)).toBeUndefined();
    expect(eksVersionProblem("1.30", "EXTENDED", today)).toMatch(/end of EKS extended support on 2026-07-23/);
    expect(eksVersionProblem("1.99", "EXTENDED", today)).toMatch(/not an EKS version this stack knows/);
    expect(eksVersionProblem("1.35", "STANDARD", today)).toBeUndefined();
  });

  it("defaults to the newest version in standard support on the day", () => {
    expect(newestStandardSupportVersion(day("2026-12-01"))).toBe("1.35");
    expect(newestStandardSupportVersion(day("2026-12-02"))).toBe("1.35");
  });

  it("ships stacks whose version is in standard support today", () => {
    for (const stack of ["dev", "prod"]) {
      const file = path.resolve(__dirname, `../../Pulumi.${stack}.yaml`);
      const cluster = namespaceValues(fs.readFileSync(file, "utf8"), `Pulumi.${stack}.yaml`).cluster as { kubernetesVersion?: string };
      const version = cluster.kubernetesVersion ?? newestStandardSupportVersion(new Date());
      expect(eksVersionProblem(version, "STANDARD", new Date()), stack).toBeUndefined();
      expect(["standard", "standard-ending"], stack).toContain(eksVersionSupport(version, new Date()).status);
    }
  });

  it("is refused by the stack config with the file and key path, and EXTENDED accepts it", () => {
    const file = path.resolve(__dirname, "../../Pulumi.dev.yaml");
    const values = namespaceValues(fs.readFileSync(file, "utf8"), "Pulumi.dev.yaml");
    const cluster = values.cluster as Record<string, unknown>;
    const refused = () => parseStackConfig({ ...values, cluster: { ...cluster, kubernetesVersion: "1.33" } }, "Pulumi.dev.yaml");
    expect(refused).toThrow(StackConfigError);
    expect(refused).toThrow(/Pulumi\.dev\.yaml: gpu-inference:cluster\.kubernetesVersion: "1\.33" left EKS standard support on 2026-07-29/);
    expect(parseStackConfig({ ...values, cluster: { ...cluster, kubernetesVersion: "1.33", upgradePolicy: "EXTENDED" } }, "Pulumi.dev.yaml").cluster.upgradePolicy).toBe("EXTENDED");
    const { kubernetesVersion: _v, ...unset } = cluster;
    expect(parseStackConfig({ ...values, cluster: unset }, "Pulumi.dev.yaml").cluster.kubernetesVersion).toBe(newestStandardSupportVersion(new Date()));
  });
});
