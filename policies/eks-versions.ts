/**
 * EKS Kubernetes versions and their support dates: a public module of the pack, so the stack
 * config, the GpuCluster component and the pack's own version rule read one table.
 *
 * Source of every row unless noted: Amazon EKS User Guide, "Understand the Kubernetes version
 * lifecycle on EKS", section "Amazon EKS Kubernetes release calendar"
 * (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; the page's source is
 * github:awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc @01385604).
 * Dates are UTC; extended-support billing starts at the beginning of the end-of-standard-support day.
 * A version gets 14 months of standard support after its EKS release, then 12 months of extended support.
 */

export interface EksVersion {
  /** Kubernetes minor version, such as "1.35". */
  readonly version: string;
  /** Day the version became available on EKS (YYYY-MM-DD, UTC). */
  readonly eksRelease: string;
  /** Day standard support ends and extended-support billing starts (YYYY-MM-DD, UTC). */
  readonly endOfStandardSupport: string;
  /** Day extended support ends; EKS then upgrades the control plane itself (YYYY-MM-DD, UTC). */
  readonly endOfExtendedSupport: string;
  readonly source: string;
  readonly asOf: string;
}

const CALENDAR = "docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar (awsdocs/amazon-eks-user-guide @01385604)";

/** Newest first. */
export const EKS_VERSIONS: readonly EksVersion[] = Object.freeze(
  [
    {
      version: "1.35",
      eksRelease: "2026-01-27",
      endOfStandardSupport: "2027-03-27",
      endOfExtendedSupport: "2028-03-27",
      source:
        "endoflife.date/amazon-eks (release 1.35-eks-3 2026-01-27; end of support 2027-03-27; extended 2028-03-27) and aws-samples.github.io/sample-apex-skills eks-operation-review cluster-lifecycle (verified 2026-04-24: standard until 2027-03-27, extended until 2028-03-27); " +
        "the stored copy of the AWS calendar predates 1.35",
      asOf: "2026-12-02",
    },
    { version: "1.34", eksRelease: "2025-10-02", endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02", source: CALENDAR, asOf: "2026-12-02" },
    { version: "1.33", eksRelease: "2025-05-29", endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29", source: CALENDAR, asOf: "2026-12-02" },
    { version: "1.32", eksRelease: "2025-01-23", endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23", source: CALENDAR, asOf: "2026-12-02" },
    { version: "1.31", eksRelease: "2024-09-26", endOfStandardSupport: "2025-11-26", endOfExtendedSupport: "2026-11-26", source: CALENDAR, asOf: "2026-12-02" },
    { version: "1.30", eksRelease: "2024-05-23", endOfStandardSupport: "2025-07-23", endOfExtendedSupport: "2026-07-23", source: CALENDAR, asOf: "2026-12-02" },
    { version: "1.29", eksRelease: "2024-01-23", endOfStandardSupport: "2025-03-23", endOfExtendedSupport: "2026-03-23", source: CALENDAR, asOf: "2026-12-02" },
  ].map((row) => Object.freeze(row)),
);

/** Days before the end of standard support from which a version draws a warning. */
export const EKS_SUPPORT_WARNING_DAYS = 60;

/** `upgradePolicy.supportType` of an EKS cluster. */
export type EksSupportType = "STANDARD" | "EXTENDED";

export type EksVersionSupport =
  /** Standard support, more than EKS_SUPPORT_WARNING_DAYS left. */
  | { readonly status: "standard"; readonly row: EksVersion; readonly daysLeft: number }
  /** Standard support ends within EKS_SUPPORT_WARNING_DAYS: plan the upgrade. */
  | { readonly status: "standard-ending"; readonly row: EksVersion; readonly daysLeft: number }
  /** Past standard support, within extended support (billed extra; refused under STANDARD). */
  | { readonly status: "extended"; readonly row: EksVersion; readonly daysLeft: number }
  /** Past extended support: EKS no longer creates clusters on it. */
  | { readonly status: "unsupported"; readonly row: EksVersion; readonly daysLeft: number }
  /** Not in the table. */
  | { readonly status: "unknown" };

const DAY_MS = 86_400_000;

function dayOf(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

function dayOfIso(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** Where `version` stands on `today` (UTC day). `daysLeft` counts days until the current period ends. */
export function eksVersionSupport(version: string, today: Date): EksVersionSupport {
  const row = EKS_VERSIONS.find((v) => v.version === version);
  if (row === undefined) return { status: "unknown" };
  const now = dayOf(today);
  const standardLeft = dayOfIso(row.endOfStandardSupport) - now;
  if (standardLeft > EKS_SUPPORT_WARNING_DAYS) return { status: "standard", row, daysLeft: standardLeft };
  if (standardLeft > 0) return { status: "standard-ending", row, daysLeft: standardLeft };
  const extendedLeft = dayOfIso(row.endOfExtendedSupport) - now;
  if (extendedLeft > 0) return { status: "extended", row, daysLeft: extendedLeft };
  return { status: "unsupported", row, daysLeft: extendedLeft };
}

/** The newest version in standard support on `today`; the table's newest when none is. */
export function newestStandardSupportVersion(today: Date): string {
  const supported = EKS_VERSIONS.find((v) => dayOfIso(v.endOfStandardSupport) > dayOf(today));
  return (supported ?? EKS_VERSIONS[0]!).version;
}

/**
 * Why `version` cannot be deployed under `supportType` on `today`, or undefined when it can.
 * EKS cannot move a cluster back out of extended support, so STANDARD refuses a version past its date.
 */
export function eksVersionProblem(version: string, supportType: EksSupportType, today: Date): string | undefined {
  const support = eksVersionSupport(version, today);
  const known = EKS_VERSIONS.map((v) => v.version).join(", ");
  const newest = newestStandardSupportVersion(today);
  switch (support.status) {
    case "unknown":
      return `"${version}" is not an EKS version this stack knows (${known}); use ${newest}`;
    case "unsupported":
      return `"${version}" reached the end of EKS extended support on ${support.row.endOfExtendedSupport}; EKS no longer creates clusters on it: use ${newest}`;
    case "extended":
      return supportType === "STANDARD"
        ? `"${version}" left EKS standard support on ${support.row.endOfStandardSupport} (extended support, billed per cluster-hour, ends ${support.row.endOfExtendedSupport}); under upgradePolicy STANDARD use ${newest}`
        : undefined;
    default:
      return undefined;
  }
}

/** A warning when `version`'s standard support ends within EKS_SUPPORT_WARNING_DAYS, else undefined. */
export function eksVersionWarning(version: string, today: Date): string | undefined {
  const support = eksVersionSupport(version, today);
  if (support.status !== "standard-ending") return undefined;
  const next = newestStandardSupportVersion(new Date(Date.parse(`${support.row.endOfStandardSupport}T00:00:00Z`)));
  const advice =
    next === version
      ? "no newer version is in the pack's EKS table (policies/eks-versions.ts): add the next version's row from the EKS release calendar, then upgrade before then"
      : `upgrade to ${next} before then`;
  return `Kubernetes ${version} leaves EKS standard support on ${support.row.endOfStandardSupport} (in ${support.daysLeft} days): ${advice}`;
}
