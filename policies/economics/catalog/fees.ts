/**
 * EKS fees, from ../shared/data/catalog/instances.csv (kind = eks).
 *
 * The Auto Mode surcharge is the weakest number here. AWS bills Auto Mode as a per-instance-type
 * hourly management fee (aws.amazon.com/eks/pricing, "pricing can be found in the AWS pricing
 * calculator"); no published per-instance figure for GPU families (G5/G6/G6e/P4/P5) was found in
 * the stored sources searched. The one AWS Price List figure found, m6i.large $0.01152/h on
 * $0.096/h, is exactly 12 % (a public decision record quoting the AWS Price List API, us-east-2);
 * the CSV's third-party 12 % agrees. So 0.12 is kept, low confidence for GPU instances.
 */
import type { EksFees, Sourced } from "../types";

const sources: readonly Sourced[] = [
  {
    source:
      "Control plane $0.10/cluster-hour standard support, $0.60 extended support: AWS Containers blog 'Amazon EKS extended support for Kubernetes versions pricing'; corroborated by vantage.sh and cloudburn.io ($73/month, 2026-03)",
    asOf: "2026-03",
  },
  {
    source:
      "Auto Mode ~12 % over EC2: factualminds.com/blog/amazon-eks-pricing-control-plane-addons-auto-mode (third party, low confidence); m6i.large Auto Mode fee $0.01152/h = 12 % of $0.096/h per the AWS Price List API (AmazonEKS, us-east-2) as quoted in a public decision record. " +
      "AWS publishes per-instance Auto Mode fees; no GPU-family figure was found, so 12 % for GPU instances is an assumption: override it if your bill says otherwise",
    asOf: "2026-06-13",
  },
];

/** EKS fees, frozen. */
export const EKS_FEES: EksFees = Object.freeze({
  controlPlaneUsdPerHour: 0.1,
  extendedSupportUsdPerHour: 0.6,
  autoModeSurchargeShare: 0.12,
  sources: Object.freeze(sources.map((s) => Object.freeze({ ...s }))),
});
