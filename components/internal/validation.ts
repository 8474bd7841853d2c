/**
 * Early validation of component args (only values already known). Every problem is collected, then
 * thrown at once: `<Component> <name>: <path>: <what is wrong>; <what is allowed / the fix>`.
 */
export class ComponentArgsError extends Error {
  constructor(
    readonly component: string,
    readonly problems: readonly string[],
  ) {
    super(`${component}: ${problems.length} invalid argument${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ComponentArgsError";
  }
}

export class Problems {
  private readonly list: string[] = [];
  constructor(private readonly component: string) {}

  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }

  wholeNumber(path: string, value: number | undefined, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.add(path, `got ${value}; expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}`);
    }
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ComponentArgsError(this.component, this.list);
  }
}
