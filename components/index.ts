export * from "./gpu-cluster";
export * from "./tenant";
