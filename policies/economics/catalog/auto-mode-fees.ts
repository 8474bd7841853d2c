/**
 * EKS Auto Mode management fees, USD per instance-hour, by instance type (us-east-1).
 *
 * AWS bills Auto Mode as a fee per hour per instance type, "for the duration and type of Amazon
 * EC2 instances launched and managed by EKS Auto Mode" (aws.amazon.com/eks/pricing), whatever the
 * EC2 purchase option: the fee does not fall with spot, a savings plan or a negotiated rate. No
 * stored source publishes the GPU families' figures; the one AWS Price List figure found (m6i.large
 * $0.01152/h on $0.096/h, AmazonEKS us-east-2) is exactly 12 % of the on-demand list price. So
 * each GPU row below is 12 % of that instance's on-demand list price, fixed as a dollar figure
 * (derived, low confidence): override a row with your bill's figure in
 * `economics.priceOverrides.instances["<type>"].autoModeFee`.
 *
 * Added by the cost-model work (issue #10, item 6); the catalog's owner is moving these tables
 * into dated data files.
 */
import type { Sourced } from "../types";

export interface AutoModeFee extends Sourced {
  readonly instanceType: string;
  readonly usdPerHour: number;
}

const DERIVED =
  "derived: 12 % of the on-demand list price in the next column (m6i.large Auto Mode fee $0.01152/h = 12 % of $0.096/h per the AWS Price List API, AmazonEKS, as quoted in a public decision record; " +
  "factualminds.com/blog/amazon-eks-pricing-control-plane-addons-auto-mode, 2026-06-13, '~12 % markup'); low confidence for GPU instances";
const AS_OF = "2026-06-13";

/** [instance type, fee USD/h, the on-demand list price it was derived from]. */
const rows: readonly [string, number, number][] = [
  ["g5.xlarge", 0.12072, 1.006],
  ["g5.2xlarge", 0.14544, 1.212],
  ["g5.4xlarge", 0.19488, 1.624],
  ["g5.8xlarge", 0.29376, 2.448],
  ["g5.12xlarge", 0.68064, 5.672],
  ["g5.48xlarge", 1.95456, 16.288],
  ["g6.xlarge", 0.096576, 0.8048],
  ["g6.2xlarge", 0.117312, 0.9776],
  ["g6.8xlarge", 0.241728, 2.0144],
  ["g6.12xlarge", 0.552192, 4.6016],
  ["g6.16xlarge", 0.407616, 3.3968],
  ["g6.24xlarge", 0.801024, 6.6752],
  ["g6e.xlarge", 0.22332, 1.861],
  ["g6e.2xlarge", 0.26905, 2.24208],
  ["g6e.4xlarge", 0.36048, 3.004],
  ["g6e.12xlarge", 1.25916, 10.493],
  ["g6e.16xlarge", 0.909263, 7.57719],
  ["g6e.24xlarge", 1.807871, 15.06559],
  ["g6e.48xlarge", 3.615742, 30.13118],
  // P family: 12 % of the post-June-2025 list prices (AWS Price List bulk API version 20250703204906).
  ["p4d.24xlarge", 2.634917, 21.957642],
  ["p4de.24xlarge", 3.293646, 27.44705],
  ["p5.48xlarge", 6.6048, 55.04],
  ["p5en.48xlarge", 7.59552, 63.296],
];

/** Auto Mode fee per instance type, frozen. */
export const AUTO_MODE_FEES: readonly AutoModeFee[] = Object.freeze(
  rows.map(([instanceType, usdPerHour, listPrice]) =>
    Object.freeze({ instanceType, usdPerHour, source: `${DERIVED}; on-demand list $${listPrice}/h`, asOf: AS_OF }),
  ),
);
