/** Configuration that cannot be used; each problem is one line naming the variable (never its value). */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}
