/** One invalid environment variable and why (never its value: it may be a secret). */
export interface ConfigProblem {
  variable: string;
  messages: string[];
}

/** Thrown once at boot with every bad variable, so an operator fixes them all in one go. */
export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid environment (${problems.length} variable${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.messages.join('; ')}`).join('\n'),
    );
  }
}
