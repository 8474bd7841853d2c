/**
 * EKS fees, from `data/fees.json`.
 *
 * The Auto Mode surcharge is the weakest number here. AWS bills Auto Mode as a per-instance-type
 * hourly management fee; no published per-instance figure for GPU families was found in the
 * stored sources searched. The one AWS Price List figure found, m6i.large $0.01152/h on
 * $0.096/h, is exactly 12 %; the third-party 12 % agrees. So 0.12 is kept, low confidence for
 * GPU instances.
 */
import { z } from "zod";
import type { EksFees } from "../types";
import data from "./data/fees.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

export const feesDataSchema = z.strictObject({
  description: z.string(),
  controlPlaneUsdPerHour: z.number().positive(),
  extendedSupportUsdPerHour: z.number().positive(),
  autoModeSurchargeShare: z.number().min(0).max(1),
  sources: z.array(z.strictObject({ source: sourceSchema, asOf: asOfSchema })).min(1),
});

const parsed = parseDataFile("policies/economics/catalog/data/fees.json", data, feesDataSchema);

/** EKS fees, frozen. */
export const EKS_FEES: EksFees = deepFreeze({
  controlPlaneUsdPerHour: parsed.controlPlaneUsdPerHour,
  extendedSupportUsdPerHour: parsed.extendedSupportUsdPerHour,
  autoModeSurchargeShare: parsed.autoModeSurchargeShare,
  sources: parsed.sources,
});
