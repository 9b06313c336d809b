/** Extra fields a check reports in the readiness body (no secrets, no PII). */
export type CheckDetails = Record<string, string | number | boolean>;

/**
 * One dependency of readiness. `check` resolves when the dependency is usable and rejects (or
 * times out) when it is not. `close` releases what the check itself opened (e.g. a Kafka admin).
 */
export interface DependencyCheck {
  readonly name: string;
  check(): Promise<CheckDetails | void>;
  close?(): Promise<void>;
}

export class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
  constructor(check: string, timeoutMs: number) {
    super(`${check} did not answer within ${timeoutMs} ms`);
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, check: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(check, timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A check from any callback: Qdrant's ping, a consumer's "joined and not stalled" status... */
export function callbackCheck(name: string, check: () => Promise<CheckDetails | void>): DependencyCheck {
  return { name, check };
}

/** Qdrant is optional: register this only when QDRANT_URL is set. `ping` is e.g. a cheap API call. */
export function qdrantCheck(ping: () => Promise<unknown>, name = 'qdrant'): DependencyCheck {
  return callbackCheck(name, async () => {
    await ping();
  });
}
