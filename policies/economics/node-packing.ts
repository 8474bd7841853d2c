/**
 * Whole-node billing: AWS bills instances, not GPUs. Replicas pack onto the instance types a
 * node pool may launch; a 1-GPU replica on an 8-GPU instance pays for the whole instance unless
 * other replicas share it.
 *
 * For every replica count n from 0 to the group's maximum, `packReplicas` finds the cheapest set of
 * instances (from the pool's types, any mix, each holding ⌊GPUs per instance ÷ GPUs per replica⌋
 * replicas) that holds n replicas: an unbounded covering knapsack, solved by dynamic programming.
 * That is Karpenter's consolidation at its best (it replaces nodes with cheaper ones that still
 * fit the pods); a real cluster can only do worse, never better.
 *
 * Prices per node-hour are split into the EC2 price (on-demand, spot or the commitment rate) and
 * the EKS Auto Mode fee, which AWS bills per instance-hour by instance type whatever the EC2
 * purchase option.
 */

/** One instance type the pool may launch, priced per node-hour. */
export interface NodeOption {
  readonly instanceType: string;
  readonly gpusPerNode: number;
  /** Replicas one node holds: ⌊gpusPerNode ÷ GPUs per replica⌋, at least 1. */
  readonly replicasPerNode: number;
  /** EC2 price of the node, USD per hour (the capacity type's rate, overrides applied). */
  readonly ec2UsdPerHour: number;
  /** EKS Auto Mode management fee of the node, USD per hour; 0 without Auto Mode. */
  readonly feeUsdPerHour: number;
}

/** The cheapest packing of each replica count 0…maxReplicas. */
export interface PackingTable {
  /** EC2 USD per hour of the nodes holding n replicas. */
  readonly ec2UsdPerHour: Float64Array;
  /** Auto Mode fee USD per hour of those nodes. */
  readonly feeUsdPerHour: Float64Array;
  /** Nodes holding n replicas. */
  readonly nodes: Int32Array;
  /** GPUs of those nodes (billed GPUs, used or not). */
  readonly gpus: Int32Array;
  /** Instance types of the packing of n replicas, one entry per node. */
  packing(n: number): readonly string[];
}

/**
 * Cheapest whole-node packing of 0…maxReplicas replicas onto the given options.
 *
 * @throws RangeError when there is no option, or an option holds no replica
 */
export function packReplicas(options: readonly NodeOption[], maxReplicas: number): PackingTable {
  if (options.length === 0) throw new RangeError("packReplicas: no instance type can hold a replica");
  if (!Number.isInteger(maxReplicas) || maxReplicas < 0) throw new RangeError(`packReplicas: maxReplicas must be a whole number of at least 0, got ${maxReplicas}`);
  for (const o of options) {
    if (!Number.isInteger(o.replicasPerNode) || o.replicasPerNode < 1) throw new RangeError(`packReplicas: ${o.instanceType} holds no replica`);
  }
  const size = maxReplicas + 1;
  const total = new Float64Array(size);
  const ec2 = new Float64Array(size);
  const fee = new Float64Array(size);
  const nodes = new Int32Array(size);
  const gpus = new Int32Array(size);
  const choice = new Int32Array(size).fill(-1);
  for (let n = 1; n < size; n++) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < options.length; i++) {
      const o = options[i]!;
      const rest = n > o.replicasPerNode ? n - o.replicasPerNode : 0;
      const usd = total[rest]! + o.ec2UsdPerHour + o.feeUsdPerHour;
      // Ties go to fewer nodes, then to the earlier option: deterministic.
      if (usd < best - 1e-12 || (Math.abs(usd - best) <= 1e-12 && nodes[rest]! + 1 < nodes[n]!)) {
        best = usd;
        choice[n] = i;
        nodes[n] = nodes[rest]! + 1;
      }
    }
    const o = options[choice[n]!]!;
    const rest = n > o.replicasPerNode ? n - o.replicasPerNode : 0;
    total[n] = best;
    ec2[n] = ec2[rest]! + o.ec2UsdPerHour;
    fee[n] = fee[rest]! + o.feeUsdPerHour;
    gpus[n] = gpus[rest]! + o.gpusPerNode;
  }
  return {
    ec2UsdPerHour: ec2,
    feeUsdPerHour: fee,
    nodes,
    gpus,
    packing(n: number): readonly string[] {
      const out: string[] = [];
      let left = Math.min(Math.max(0, Math.floor(n)), maxReplicas);
      while (left > 0) {
        const o = options[choice[left]!]!;
        out.push(o.instanceType);
        left = left > o.replicasPerNode ? left - o.replicasPerNode : 0;
      }
      return out;
    },
  };
}
