/**
 * Pinned zones in the stack config: a VPC the stack creates spans the zone IDs the config lists (never
 * the region's first "available" zones, re-read on every run), 2 to 4 of them, in the stack's region,
 * none EKS refuses for the control plane, no duplicates; an existing VPC's subnets pin the zones instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EKS_DISALLOWED_ZONE_IDS, zoneIdPrefix } from "../../components/internal/availability-zones";
import { loadStackConfigFile, namespaceValues, parseStackConfig, StackConfigError } from "../../infra/config";
import { deployReadiness } from "../../infra/deploy-readiness";

const root = path.resolve(__dirname, "../..");
const stackValues = (stack: string) => namespaceValues(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"), `Pulumi.${stack}.yaml`);
const problemsOf = (values: Record<string, unknown>): readonly string[] => {
  try {
    parseStackConfig(values, "Pulumi.dev.yaml");
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  return [];
};
const withCluster = (values: Record<string, unknown>, change: (cluster: Record<string, unknown>) => Record<string, unknown>) => ({
  ...values,
  cluster: change({ ...(values.cluster as Record<string, unknown>) }),
});

describe("pinned zones in the stack config", () => {
  it("the dev stack (which creates its VPC) pins 2 to 4 zone IDs of its region; prod (an existing VPC) pins none", () => {
    const dev = loadStackConfigFile(path.join(root, "Pulumi.dev.yaml"));
    expect(dev.cluster.existingVpc).toBeUndefined();
    expect(dev.cluster.availabilityZoneIds?.length).toBeGreaterThanOrEqual(2);
    expect(dev.cluster.availabilityZoneIds?.length).toBeLessThanOrEqual(4);
    for (const zone of dev.cluster.availabilityZoneIds ?? []) expect(zone.startsWith(`${zoneIdPrefix(dev.cluster.region)}-az`)).toBe(true);
    const prod = loadStackConfigFile(path.join(root, "Pulumi.prod.yaml"));
    expect(prod.cluster.existingVpc).toBeDefined();
    expect(prod.cluster.availabilityZoneIds).toBeUndefined();
  });

  it("requires zones when the stack creates its VPC, naming the key", () => {
    const values = withCluster(stackValues("dev"), ({ availabilityZoneIds: _z, ...cluster }) => cluster);
    expect(problemsOf(values)).toEqual([
      "Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds: required when the cluster creates its VPC: list 2 to 4 zone IDs of us-east-1 (aws ec2 describe-availability-zones --region us-east-1) that offer the pools' instance types",
    ]);
  });

  it("lists every bad zone at once: a name instead of an ID, another region's zone, a zone EKS refuses, a duplicate", () => {
    const values = withCluster(stackValues("dev"), (cluster) => ({ ...cluster, availabilityZoneIds: ["us-east-1a", "usw2-az1", "use1-az3", "use1-az1", "use1-az1"] }));
    expect(problemsOf(values)).toEqual([
      "Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds: got 5 zone IDs; expected 2 to 4 (EKS needs subnets in at least two zones)",
      'Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds[0]: got "us-east-1a"; expected a zone ID such as use1-az1 (zone IDs, not names such as us-east-1a: names differ between accounts); list them with aws ec2 describe-availability-zones --region us-east-1',
      'Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds[1]: "usw2-az1" is not a zone of us-east-1 (its zone IDs start with use1-)',
      'Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds[2]: "use1-az3": EKS does not create clusters with subnets in this zone (us-east-1; docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); pick another zone',
      'Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds[4]: duplicate zone "use1-az1"; each subnet pair needs its own zone',
    ]);
  });

  it("refuses a zone list beside an existing VPC, whose subnets already pin the zones", () => {
    const values = withCluster(stackValues("prod"), (cluster) => ({ ...cluster, availabilityZoneIds: ["use1-az1", "use1-az2"] }));
    expect(problemsOf(values)).toContain("Pulumi.dev.yaml: gpu-inference:cluster.availabilityZoneIds: the subnets of existingVpc already pin the zones; remove availabilityZoneIds");
  });
});

describe("the zone tables", () => {
  it("carry EKS's documented disallowed zone IDs, each with its source and date", () => {
    expect(EKS_DISALLOWED_ZONE_IDS.map((row) => [row.region, row.zoneId])).toEqual([
      ["us-east-1", "use1-az3"],
      ["us-west-1", "usw1-az2"],
      ["ca-central-1", "cac1-az3"],
    ]);
    for (const row of EKS_DISALLOWED_ZONE_IDS) {
      expect(row.source).toMatch(/docs\.aws\.amazon\.com\/eks\/latest\/userguide\/network-reqs\.html/);
      expect(row.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.zoneId.startsWith(`${zoneIdPrefix(row.region)}-`)).toBe(true); // the prefix rule reads AWS's own examples
    }
  });

  it("derives each region's zone-ID prefix the way AWS names them", () => {
    expect(["us-east-1", "us-west-2", "ap-northeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1", "sa-east-1", "us-gov-west-1", "me-south-1"].map(zoneIdPrefix)).toEqual([
      "use1",
      "usw2",
      "apne1",
      "apse2",
      "euc1",
      "euw1",
      "sae1",
      "usgw1",
      "mes1",
    ]);
    expect(zoneIdPrefix("mars-1")).toBeUndefined();
  });
});

describe("the plan's zone line", () => {
  it("names the pinned zones and the command that checks they offer the pools' instance types", () => {
    const dev = loadStackConfigFile(path.join(root, "Pulumi.dev.yaml"));
    const zones = deployReadiness(dev, { huggingFaceTokenSet: true }).filter((item) => item.topic === "zones");
    expect(zones.map((item) => item.message)).toEqual([
      "zones are pinned to use1-az1, use1-az2: check each offers g6.xlarge,g6.2xlarge,g6e.12xlarge,g6e.24xlarge: " +
        "aws ec2 describe-instance-type-offerings --region us-east-1 --location-type availability-zone-id --filters Name=location,Values=use1-az1,use1-az2 Name=instance-type,Values=g6.xlarge,g6.2xlarge,g6e.12xlarge,g6e.24xlarge",
    ]);
  });
});
