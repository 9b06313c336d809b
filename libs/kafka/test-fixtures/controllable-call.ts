/** An async function whose calls the test completes by hand, in any order. */
export interface ControllableCall<T> {
  call: (argument: T) => Promise<void>;
  /** The argument of every call so far. */
  calls: T[];
  /** Resolves call `index`, or rejects it with `error`. */
  settle: (index: number, error?: Error) => void;
}

export function controllableCall<T>(): ControllableCall<T> {
  const calls: T[] = [];
  const settlers: ((error?: Error) => void)[] = [];
  return {
    calls,
    call: (argument) => {
      calls.push(argument);
      return new Promise<void>((resolve, reject) =>
        settlers.push((error) => (error ? reject(error) : resolve())),
      );
    },
    settle: (index, error) => settlers[index](error),
  };
}
