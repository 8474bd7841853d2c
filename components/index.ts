export * from "./gpu-cluster";
export * from "./tenant";
export * from "./vllm-server";
export * from "./queue-autoscaler";
export * from "./batch-queue";
export * from "./model-deployment";
export * from "./live-economics";
export * from "./internal/serving-plan";
