/** Types of `transpile-cache.js` (plain JavaScript so the CLI launcher can use it before any TypeScript loads). */
export interface TranspiledCopyOptions {
  /** The directory the copied paths are relative to. */
  readonly root: string;
  /** Directories under `root` to copy; `[""]` for all of it. */
  readonly directories: readonly string[];
  /** Where copies are kept, one directory per content hash. */
  readonly cacheRoot: string;
  /** Prefix of the copy's directory name. */
  readonly name: string;
  /** File names left out of the copy. @default [] */
  readonly skipFiles?: readonly string[];
}
export function transpiledCopy(options: TranspiledCopyOptions): string;
export function contentHash(root: string, directories: readonly string[]): string;
