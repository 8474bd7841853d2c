/** Types of `defer-sdk-modules.js` (plain JavaScript so the CLI launcher can install it before the SDK loads). */
export interface DeferredRequire {
  /** The `@pulumi/pulumi` file that makes the require, relative to the package. */
  readonly from: string;
  /** The request string, exactly as that file passes it to `require`. */
  readonly request: string;
}
export const DEFERRED_REQUIRES: readonly DeferredRequire[];
/** Install the loader hook in this process (idempotent); call before anything loads `@pulumi/pulumi`. */
export function deferSdkModules(): void;
