/**
 * Where a GPU workload's weights come from, read from its pod spec, and the stack's AWS region: what
 * the gate needs to charge the NAT gateway for weight downloads (or not).
 *
 * vLLM reads weights from S3 only through the Run:ai model streamer (`--load-format runai_streamer`)
 * with an `s3://` model path; a hub id under any load format downloads from the Hugging Face hub,
 * and so does `runai_streamer` with a hub id (vLLM fetches the safetensors first, then streams them
 * from local disk). The serving components write the path as `s3://$(WEIGHTS_BUCKET)/...`, which
 * Kubernetes expands from the container's env, so the path is known at preview even though the
 * bucket's name is not.
 */
import type { WeightsSource } from "../../economics/weights";
import type { Workload } from "./kubernetes";
import type { StackView } from "./stack";
import { asArray, asString, at, isUnknown, Unknown, type Plain } from "./values";

/** The value of `--name value` or `--name=value` in an argv (vLLM accepts `_` for `-` in names). */
function optionValue(argv: readonly Plain[], names: readonly string[]): Plain | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (typeof arg !== "string") continue;
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!names.includes(name.replace(/_/g, "-"))) continue;
    return inline ?? argv[i + 1];
  }
  return undefined;
}

/**
 * The weights source of one GPU workload: `s3` when a container runs vLLM with the Run:ai streamer on an
 * `s3://` path, else `hub`. Unknown when the load format or the model path is unknown at preview.
 */
export function weightsSourceOf(workload: Workload): WeightsSource | Unknown {
  for (const [index, container] of asArray(workload.podSpec.containers).entries()) {
    const command = at(container, "command");
    const args = at(container, "args");
    if (isUnknown(command)) return command;
    if (isUnknown(args)) return args;
    const argv = [...asArray(command), ...asArray(args)];
    const loadFormat = optionValue(argv, ["--load-format"]);
    if (isUnknown(loadFormat)) return loadFormat;
    if (asString(loadFormat) !== "runai_streamer") continue;
    // `vllm serve <model>` takes it first in `args`; the offline runner as `--model`.
    const model = optionValue(argv, ["--model"]) ?? asArray(args)[0];
    if (isUnknown(model)) return model;
    if (model === undefined) return new Unknown(`${workload.templatePath}.spec.containers[${index}].args`);
    if (asString(model)?.startsWith("s3://") === true) return "s3";
  }
  return "hub";
}

/**
 * The AWS region of the stack: the `region` of the AWS provider the EKS cluster is created with, else of the
 * stack's only explicit AWS provider; undefined when neither says (the economics then price the catalog's region).
 */
export function stackRegion(view: StackView): string | undefined {
  const providers = view.ofType("pulumi:providers:aws");
  const cluster = view.ofType("aws:eks/cluster:Cluster")[0];
  const clusterProvider = cluster?.providerUrn !== undefined ? view.byUrn(cluster.providerUrn) : undefined;
  const provider = clusterProvider ?? (providers.length === 1 ? providers[0] : undefined);
  const region = provider !== undefined ? asString(at(provider.props, "region")) : (asString(at(cluster?.providerProps ?? {}, "region")) ?? undefined);
  return region;
}
