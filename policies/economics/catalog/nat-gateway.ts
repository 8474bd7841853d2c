/**
 * NAT gateway data processing, USD per GB, by region: what each cold start pays to download weights
 * from the Hugging Face hub through the VPC's NAT. Reading them from S3 through the VPC's S3 gateway
 * endpoint pays nothing per GB (gateway endpoints carry no charge; see the data file's description).
 *
 * Data: `data/nat-gateway.json`, validated when the catalog loads.
 */
import { z } from "zod";
import type { Sourced } from "../types";
import data from "./data/nat-gateway.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

export interface NatGatewayPrice extends Sourced {
  readonly region: string;
  /** USD per GB (10^9 bytes) the NAT gateway processes. */
  readonly usdPerGb: number;
}

const natRow = z.strictObject({ region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "expected an AWS region such as us-east-1" }), usdPerGb: z.number().positive(), source: sourceSchema, asOf: asOfSchema });

export const natGatewayDataSchema = z
  .strictObject({ description: z.string(), rows: z.array(natRow).min(1) })
  .refine((d) => new Set(d.rows.map((r) => r.region)).size === d.rows.length, { error: "duplicate regions", path: ["rows"] });

/** NAT data-processing price per region, frozen. */
export const NAT_GATEWAY_PRICES: readonly NatGatewayPrice[] = deepFreeze(parseDataFile("policies/economics/catalog/data/nat-gateway.json", data, natGatewayDataSchema).rows);

/** The region whose prices the catalog carries for every table (instances, fees): the economics' region when a stack names none. */
export const CATALOG_REGION = "us-east-1";
