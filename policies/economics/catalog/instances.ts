/**
 * AWS GPU instance types and prices (us-east-1, Linux, shared tenancy), transcribed from
 * ../shared/data/catalog/instances.csv.
 *
 * - `onDemand`: list price. P4/P5 rows from the SkyPilot snapshot predate AWS's mid-2025 P-family
 *   price cut and are marked STALE in `source`; p5en uses the 2026-09-01 Price List figure instead.
 * - `spot`: the minimum spot price across us-east-1 AZs in a point-in-time snapshot (spot moves).
 * - `reserved`: the 1-year commitment rate (EC2 Instance Savings Plan / RI) where the CSV has one,
 *   else null: price it with `economics.priceOverrides.instances`.
 * Instances without any us-east-1 price (p5e.48xlarge, sold mainly as Capacity Blocks) are left out;
 * Capacity Block rates are a different purchase option and are noted, not encoded.
 */
import type { CapacityType, GpuId, InstanceTypeSpec } from "../types";

const SKYPILOT =
  "github:skypilot-org/skypilot-catalog catalogs/v7/aws/vms.csv @001367d2 (us-east-1; Price = on-demand, spot = min SpotPrice over AZs)";
/** The snapshot's commit date is not exposed; it lists p5en (launched late 2024) and predates the mid-2025 P-family cut. */
const SKYPILOT_AS_OF = "2025-05";
const SKYPILOT_AS_OF_NOTE = "asOf approximate: snapshot undated, between late 2024 and AWS's mid-2025 P-family price cut";
const PRICE_LIST_2026 =
  "github:aarora79/agentic-coding-harness-benchmarks self-hosted/vllm/pricing.json @1fd3f917 ('as_of 2026-09-01', on-demand verified against the AWS Price List API; reserved = 1-yr commitment rate)";
const STALE = "STALE on-demand: pre-mid-2025 list price, before AWS's up-to-45% P4/P5 cut; override it with a current quote";

type Row = [id: string, gpu: GpuId, gpuCount: number, vcpu: number, memoryGiB: number, onDemand: number, spot: number];

/** SkyPilot-snapshot rows with no fresher source: [id, gpu, GPUs, vCPU, GiB, on-demand, min spot]. */
const skypilotRows: readonly Row[] = [
  ["g5.xlarge", "A10G", 1, 4, 16, 1.006, 0.397],
  ["g5.2xlarge", "A10G", 1, 8, 32, 1.212, 0.4288],
  ["g5.4xlarge", "A10G", 1, 16, 64, 1.624, 0.628],
  ["g5.8xlarge", "A10G", 1, 32, 128, 2.448, 0.9629],
  ["g5.12xlarge", "A10G", 4, 48, 192, 5.672, 1.9937],
  ["g5.48xlarge", "A10G", 8, 192, 768, 16.288, 3.9266],
  ["g6.xlarge", "L4", 1, 4, 16, 0.8048, 0.3879],
  ["g6.2xlarge", "L4", 1, 8, 32, 0.9776, 0.3689],
  ["g6.8xlarge", "L4", 1, 32, 128, 2.0144, 0.9008],
  ["g6.12xlarge", "L4", 4, 48, 192, 4.6016, 1.8626],
  ["g6.16xlarge", "L4", 1, 64, 256, 3.3968, 1.1822],
  ["g6.24xlarge", "L4", 4, 96, 384, 6.6752, 2.397],
  ["g6e.xlarge", "L40S", 1, 4, 32, 1.861, 0.787],
  ["g6e.2xlarge", "L40S", 1, 8, 64, 2.24208, 0.7381],
  ["g6e.16xlarge", "L40S", 1, 64, 512, 7.57719, 2.4283],
  ["g6e.24xlarge", "L40S", 4, 96, 768, 15.06559, 4.112],
  ["g6e.48xlarge", "L40S", 8, 192, 1536, 30.13118, 6.5237],
];

/** P-family rows whose only on-demand price is the stale pre-cut one. */
const staleRows: readonly Row[] = [
  ["p4d.24xlarge", "A100-40GB", 8, 96, 1152, 32.7726, 5.0933],
  ["p4de.24xlarge", "A100-80GB", 8, 96, 1152, 40.96575, 5.8394],
  ["p5.48xlarge", "H100-80GB", 8, 192, 2048, 98.32, 20.9934],
];

function fromRow([id, gpu, gpuCount, vcpu, memoryGiB, onDemand, spot]: Row, source: string): InstanceTypeSpec {
  return { id, gpu, gpuCount, vcpu, memoryGiB, region: "us-east-1", usdPerHour: { onDemand, spot, reserved: null }, source, asOf: SKYPILOT_AS_OF };
}

const rows: readonly InstanceTypeSpec[] = [
  ...skypilotRows.map((row) => fromRow(row, `${SKYPILOT}; ${SKYPILOT_AS_OF_NOTE}`)),
  ...staleRows.map((row) =>
    fromRow(
      row,
      `${STALE}. ${SKYPILOT}; ${SKYPILOT_AS_OF_NOTE}` +
        (row[0] === "p5.48xlarge" ? ". Capacity Blocks effective rate was $39.33/h (aws.amazon.com/ec2/capacityblocks/pricing, late 2024)" : ""),
    ),
  ),
  {
    id: "g6e.4xlarge",
    gpu: "L40S",
    gpuCount: 1,
    vcpu: 16,
    memoryGiB: 128,
    region: "us-east-1",
    usdPerHour: { onDemand: 3.004, spot: 2.764, reserved: 1.893 },
    source: `${PRICE_LIST_2026}; spot is a single point-in-time value from that file; vCPU/memory from github:meta-pytorch/torchx PR #969 (aws_g6e_4xlarge: 16 vCPU, 128 GiB)`,
    asOf: "2026-09-01",
  },
  {
    id: "g6e.12xlarge",
    gpu: "L40S",
    gpuCount: 4,
    vcpu: 48,
    memoryGiB: 384,
    region: "us-east-1",
    usdPerHour: { onDemand: 10.493, spot: 4.2359, reserved: 6.61 },
    source: `on-demand and reserved: ${PRICE_LIST_2026}; spot: ${SKYPILOT} (older snapshot; ${SKYPILOT_AS_OF_NOTE}, hence this row's asOf)`,
    asOf: SKYPILOT_AS_OF,
  },
  {
    id: "p5en.48xlarge",
    gpu: "H200-141GB",
    gpuCount: 8,
    vcpu: 192,
    memoryGiB: 2048,
    region: "us-east-1",
    usdPerHour: { onDemand: 63.296, spot: 27.1928, reserved: 40.43 },
    source:
      `${PRICE_LIST_2026} (reserved = 1-yr EC2 Instance Savings Plan); spot = min of github:dstackai/dstack PR #4110 / #4069 'dstack offer' output ($27.1928, $27.1988); ` +
      "replaces the stale pre-cut $84.80 on-demand (and $24.29 spot) of the older SkyPilot snapshot",
    asOf: "2026-09-01",
  },
];

/** Every GPU instance type with a price, frozen. */
export const INSTANCE_TYPES: readonly InstanceTypeSpec[] = Object.freeze(
  rows.map((row) => Object.freeze({ ...row, usdPerHour: Object.freeze({ ...row.usdPerHour }) })),
);

/** Keys of `usdPerHour` by capacity type. */
export const PRICE_KEY: Readonly<Record<CapacityType, keyof InstanceTypeSpec["usdPerHour"]>> = Object.freeze({
  "on-demand": "onDemand",
  spot: "spot",
  reserved: "reserved",
});
