/**
 * A private API endpoint needs a declared way in: an existing VPC the deployer's network reaches,
 * and 443 admitted from the deployer's CIDRs or security groups. Without it every Kubernetes
 * object of `pulumi up` times out. The shipped prod stack is private.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { GpuCluster } from "../../components/gpu-cluster";
import { loadStackConfigFile, namespaceValues, parseStackConfig, StackConfigError } from "../../infra/config";
import { find, installPulumiMocks, ofType } from "../helpers/pulumi-mocks";

const PROD = path.resolve(__dirname, "../../Pulumi.prod.yaml");

describe("a private endpoint in the stack config", () => {
  it("is refused without an existing VPC and someone admitted on 443, naming both keys", () => {
    const values = namespaceValues(fs.readFileSync(PROD, "utf8"), "Pulumi.prod.yaml");
    const { existingVpc: _v, endpointPrivateAccess: _a, ...cluster } = values.cluster as Record<string, unknown>;
    const parse = () => parseStackConfig({ ...values, cluster: { ...cluster, endpointPublicAccessCidrs: [] } }, "Pulumi.prod.yaml");
    expect(parse).toThrow(StackConfigError);
    expect(parse).toThrow(/Pulumi\.prod\.yaml: gpu-inference:cluster\.existingVpc: a private endpoint/);
    expect(parse).toThrow(/Pulumi\.prod\.yaml: gpu-inference:cluster\.endpointPrivateAccess: a private endpoint admits no one on 443/);
  });

  it("is accepted in the shipped prod stack, which declares its way in", () => {
    const prod = loadStackConfigFile(PROD);
    expect(prod.cluster.endpointPublicAccessCidrs).toEqual([]);
    expect(prod.cluster.existingVpc?.privateSubnetIds.length).toBeGreaterThanOrEqual(2);
    expect((prod.cluster.endpointPrivateAccess?.cidrs.length ?? 0) + (prod.cluster.endpointPrivateAccess?.securityGroupIds.length ?? 0)).toBeGreaterThan(0);
  });
});

describe("GpuCluster with an existing VPC and a way in", () => {
  it("creates no VPC, runs in the given subnets and admits 443 from the deployer on the control plane", async () => {
    const recorded = installPulumiMocks();
    const provider = new aws.Provider("aws", { region: "us-east-1" });
    new GpuCluster("gpu", {
      clusterName: "inference-prod",
      environment: "prod",
      region: "us-east-1",
      gpuPools: [{ name: "l4", instanceTypes: ["g6.xlarge"], gpuLimit: 4 }],
      existingVpc: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"] },
      endpointPrivateAccess: { cidrs: ["10.20.0.0/16"], securityGroupIds: ["sg-0a1b2c3d4e5f60719"] },
    }, { providers: { aws: provider } });
    await pulumi.runtime.disconnect();
    expect(ofType(recorded, "aws:ec2/vpc:Vpc")).toHaveLength(0);
    expect(ofType(recorded, "aws:ec2/subnet:Subnet")).toHaveLength(0);
    const sg = find(recorded, "aws:ec2/securityGroup:SecurityGroup", "gpu-endpoint-access").inputs;
    expect(sg.vpcId).toBe("vpc-0a1b2c3d4e5f60718");
    expect(sg.ingress).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.20.0.0/16"] }),
      expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: ["sg-0a1b2c3d4e5f60719"] }),
    ]);
    const vpcConfig = find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs.vpcConfig as Record<string, unknown>;
    expect(vpcConfig).toMatchObject({
      subnetIds: ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
      securityGroupIds: ["gpu-endpoint-access-id"],
      endpointPrivateAccess: true,
      endpointPublicAccess: false,
    });
  });
});
