/**
 * Pinned availability zones for a VPC the cluster creates. Zones are given by zone ID (`use1-az1`),
 * which names the same physical zone in every account; zone names (`us-east-1a`) are shuffled per
 * account. Pinning them in config means no zone lookup at run time, so a zone that changes state
 * can never re-plan (and replace) the subnets.
 */

/**
 * Zone IDs EKS refuses for a cluster's subnets (UnsupportedAvailabilityZoneException), by region.
 * Source: Amazon EKS User Guide, "View Amazon EKS networking requirements for VPC and subnets",
 * section "Subnet requirements for clusters" (docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets;
 * page source github:awsdocs/amazon-eks-user-guide latest/ug/networking/network-reqs.adoc @f6004140), as of 2026-12-02.
 */
export const EKS_DISALLOWED_ZONE_IDS: readonly { readonly region: string; readonly zoneId: string; readonly source: string; readonly asOf: string }[] = Object.freeze(
  [
    { region: "us-east-1", zoneId: "use1-az3" },
    { region: "us-west-1", zoneId: "usw1-az2" },
    { region: "ca-central-1", zoneId: "cac1-az3" },
  ].map((row) =>
    Object.freeze({
      ...row,
      source: "docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets (awsdocs/amazon-eks-user-guide network-reqs.adoc @f6004140)",
      asOf: "2026-12-02",
    }),
  ),
);

/** Fewest and most zones a created VPC spans: EKS needs subnets in two zones; the /16 layout has room for four. */
export const ZONE_COUNT = { min: 2, max: 4 } as const;

/** Short forms of the direction words of region names, as AWS spells them inside zone IDs. */
const REGION_WORDS: Readonly<Record<string, string>> = {
  northeast: "ne",
  northwest: "nw",
  southeast: "se",
  southwest: "sw",
  north: "n",
  south: "s",
  east: "e",
  west: "w",
  central: "c",
  gov: "g",
};

/**
 * The prefix every zone ID of a region carries: `us-east-1` → `use1`, `ap-northeast-1` → `apne1`,
 * `ca-central-1` → `cac1`, `us-gov-west-1` → `usgw1` (AWS's zone-ID naming, as the IDs in the EC2
 * docs "AZ IDs for cross-account consistency" and in the EKS table above show). Undefined for a
 * region name it cannot read.
 */
export function zoneIdPrefix(region: string): string | undefined {
  const parts = region.split("-");
  const geography = parts[0];
  const number = parts[parts.length - 1];
  if (parts.length < 3 || geography === undefined || number === undefined || !/^\d+$/.test(number)) return undefined;
  const words = parts.slice(1, -1).map((word) => REGION_WORDS[word]);
  if (words.some((w) => w === undefined)) return undefined;
  return `${geography}${words.join("")}${number}`;
}

/** One problem with the zone list: the key path below `availabilityZoneIds` (index or none) and the message. */
export interface ZoneProblem {
  readonly index?: number;
  readonly message: string;
}

/**
 * Everything wrong with a pinned zone list, all at once: count outside 2–4, an ID that is not a zone ID,
 * a zone of another region, a zone EKS refuses for the control plane, a duplicate.
 */
export function availabilityZoneProblems(zoneIds: readonly string[], region: string): ZoneProblem[] {
  const problems: ZoneProblem[] = [];
  if (zoneIds.length < ZONE_COUNT.min || zoneIds.length > ZONE_COUNT.max) {
    problems.push({ message: `got ${zoneIds.length} zone IDs; expected ${ZONE_COUNT.min} to ${ZONE_COUNT.max} (EKS needs subnets in at least two zones)` });
  }
  const prefix = zoneIdPrefix(region);
  const seen = new Set<string>();
  zoneIds.forEach((zoneId, index) => {
    const shown = JSON.stringify(zoneId.slice(0, 40));
    if (!/^[a-z]+\d+-az\d+$/.test(zoneId)) {
      problems.push({ index, message: `got ${shown}; expected a zone ID such as ${prefix ?? "use1"}-az1 (zone IDs, not names such as us-east-1a: names differ between accounts); list them with aws ec2 describe-availability-zones --region ${region}` });
      return;
    }
    if (prefix !== undefined && !zoneId.startsWith(`${prefix}-`)) {
      problems.push({ index, message: `${shown} is not a zone of ${region} (its zone IDs start with ${prefix}-)` });
    }
    const refused = EKS_DISALLOWED_ZONE_IDS.find((row) => row.zoneId === zoneId);
    if (refused !== undefined) {
      problems.push({ index, message: `${shown}: EKS does not create clusters with subnets in this zone (${refused.region}; docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); pick another zone` });
    }
    if (seen.has(zoneId)) problems.push({ index, message: `duplicate zone ${shown}; each subnet pair needs its own zone` });
    seen.add(zoneId);
  });
  return problems;
}

/**
 * The zone rules of a cluster's network, for the stack config and GpuCluster alike: a VPC the cluster
 * creates needs pinned zones (valid per availabilityZoneProblems); an existing VPC's subnets already pin
 * them, so a zone list beside it would be ignored and is refused instead.
 */
export function pinnedZoneProblems(zoneIds: readonly string[] | undefined, existingVpc: boolean, region: string): ZoneProblem[] {
  if (existingVpc) return zoneIds === undefined ? [] : [{ message: "the subnets of existingVpc already pin the zones; remove availabilityZoneIds" }];
  if (zoneIds === undefined) {
    return [
      {
        message: `required when the cluster creates its VPC: list ${ZONE_COUNT.min} to ${ZONE_COUNT.max} zone IDs of ${region} (aws ec2 describe-availability-zones --region ${region}) that offer the pools' instance types`,
      },
    ];
  }
  return availabilityZoneProblems(zoneIds, region);
}
