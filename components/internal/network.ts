/**
 * The cluster's VPC from @pulumi/aws primitives: private subnets for nodes and the control plane's
 * network interfaces, public subnets only for load balancers and NAT gateways, an S3 gateway
 * endpoint so model weights do not pay NAT data-processing charges, and a default security group
 * with no rules. Subnets sit in the zone IDs the config pins (see ./availability-zones): no zone is
 * looked up at run time, so no run can move a subnet to another zone and replace it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkSettings {
  /** Logical-name prefix of every child. */
  readonly name: string;
  readonly clusterName: string;
  readonly region: string;
  /** A /16 IPv4 CIDR. */
  readonly vpcCidr: string;
  /** Zone IDs (`use1-az1`), 2 to 4, validated by availabilityZoneProblems; one public and one private subnet each. */
  readonly availabilityZoneIds: readonly string[];
  /** One NAT gateway per zone (survives a zone outage) or one for the VPC (cheaper). */
  readonly natGatewayPerZone: boolean;
}

export interface Network {
  readonly vpc: aws.ec2.Vpc;
  readonly publicSubnets: aws.ec2.Subnet[];
  readonly privateSubnets: aws.ec2.Subnet[];
  readonly natGateways: aws.ec2.NatGateway[];
  readonly privateRouteTables: aws.ec2.RouteTable[];
}

/** Private /19 per zone from the bottom of the /16; public /24 per zone from x.x.192.0 up. */
export function subnetCidrs(vpcCidr: string, zoneIndex: number): { private: string; public: string } {
  const match = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(vpcCidr);
  if (match === null) throw new Error(`vpcCidr: expected a /16 such as 10.0.0.0/16, got ${vpcCidr}`);
  const [, a, b] = match;
  return { private: `${a}.${b}.${zoneIndex * 32}.0/19`, public: `${a}.${b}.${192 + zoneIndex}.0/24` };
}

export function createNetwork(settings: NetworkSettings, parent: pulumi.Resource): Network {
  const { name } = settings;
  const opts: pulumi.CustomResourceOptions = { parent };

  const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
    cidrBlock: settings.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: `${settings.clusterName}-vpc` },
  }, opts);

  // CIS: the default security group allows nothing.
  new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [] }, opts);

  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${settings.clusterName}-igw` } }, opts);
  const publicRouteTable = new aws.ec2.RouteTable(`${name}-public-rt`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
    tags: { Name: `${settings.clusterName}-public` },
  }, opts);

  const publicSubnets: aws.ec2.Subnet[] = [];
  const privateSubnets: aws.ec2.Subnet[] = [];
  const natGateways: aws.ec2.NatGateway[] = [];
  const privateRouteTables: aws.ec2.RouteTable[] = [];

  settings.availabilityZoneIds.forEach((zoneId, i) => {
    const cidrs = subnetCidrs(settings.vpcCidr, i);
    const publicSubnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
      vpcId: vpc.id,
      availabilityZoneId: zoneId,
      cidrBlock: cidrs.public,
      mapPublicIpOnLaunch: false,
      tags: { Name: `${settings.clusterName}-public-${i}`, "kubernetes.io/role/elb": "1" },
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: publicSubnet.id, routeTableId: publicRouteTable.id }, opts);
    publicSubnets.push(publicSubnet);

    if (settings.natGatewayPerZone || i === 0) {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${settings.clusterName}-nat-${i}` } }, opts);
      natGateways.push(
        new aws.ec2.NatGateway(`${name}-nat-${i}`, {
          allocationId: eip.id,
          subnetId: publicSubnet.id,
          tags: { Name: `${settings.clusterName}-nat-${i}` },
        }, { parent, dependsOn: [igw] }),
      );
    }
    const nat = natGateways[settings.natGatewayPerZone ? i : 0] as aws.ec2.NatGateway;

    const privateSubnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
      vpcId: vpc.id,
      availabilityZoneId: zoneId,
      cidrBlock: cidrs.private,
      mapPublicIpOnLaunch: false,
      tags: { Name: `${settings.clusterName}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
    }, opts);
    const privateRouteTable = new aws.ec2.RouteTable(`${name}-private-rt-${i}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
      tags: { Name: `${settings.clusterName}-private-${i}` },
    }, opts);
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: privateSubnet.id, routeTableId: privateRouteTable.id }, opts);
    privateSubnets.push(privateSubnet);
    privateRouteTables.push(privateRouteTable);
  });

  new aws.ec2.VpcEndpoint(`${name}-s3`, {
    vpcId: vpc.id,
    serviceName: `com.amazonaws.${settings.region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds: privateRouteTables.map((rt) => rt.id),
    tags: { Name: `${settings.clusterName}-s3` },
  }, opts);

  return { vpc, publicSubnets, privateSubnets, natGateways, privateRouteTables };
}
