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
 * Data: `data/auto-mode-fees.json`, validated when the catalog loads.
 */
import { z } from "zod";
import type { Sourced } from "../types";
import data from "./data/auto-mode-fees.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

export interface AutoModeFee extends Sourced {
  readonly instanceType: string;
  readonly usdPerHour: number;
}

const feeRow = z.strictObject({ instanceType: z.string().min(1), usdPerHour: z.number().positive(), source: sourceSchema, asOf: asOfSchema });

export const autoModeFeeDataSchema = z
  .strictObject({ description: z.string(), rows: z.array(feeRow).min(1) })
  .refine((d) => new Set(d.rows.map((r) => r.instanceType)).size === d.rows.length, { error: "duplicate instance types", path: ["rows"] });

/** Auto Mode fee per instance type, frozen. */
export const AUTO_MODE_FEES: readonly AutoModeFee[] = deepFreeze(parseDataFile("policies/economics/catalog/data/auto-mode-fees.json", data, autoModeFeeDataSchema).rows);
