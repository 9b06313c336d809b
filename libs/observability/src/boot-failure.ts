import pino from 'pino';

/** An error that carries a list of problems (ConfigValidationError does), logged as fields. */
interface WithProblems {
  problems: readonly unknown[];
}

function hasProblems(error: unknown): error is Error & WithProblems {
  return error instanceof Error && Array.isArray((error as Partial<WithProblems>).problems);
}

/**
 * Logs why an app could not start as one fatal JSON line (the Nest logger may not exist yet,
 * e.g. when the environment is invalid). pino writes stdout synchronously, so the caller can
 * process.exit right after.
 */
export function logBootFailure(serviceName: string, error: unknown): void {
  const logger = pino({
    base: { service: serviceName, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  if (hasProblems(error)) logger.fatal({ problems: error.problems }, error.message);
  else logger.fatal({ err: error }, 'failed to start');
}
