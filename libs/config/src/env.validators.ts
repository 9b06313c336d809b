import { IsInt, Max, Min, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';
import { Transform, TransformFnParams } from 'class-transformer';
import { parseApiKeys } from './api-keys.parser';

// Messages name the variable and the rule, never the value: variables may hold secrets.

/** `host:port,host:port` with ports 1-65535. */
export function IsHostPortList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHostPortList',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.split(',').every((entry) => isHostPort(entry.trim())),
        defaultMessage: (args) => `${args?.property} must be a comma-separated list of host:port`,
      },
    },
    options,
  );
}

function isHostPort(entry: string): boolean {
  const match = /^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry);
  if (!match) return false;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535;
}

/** An absolute URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). */
export function IsUrlWithProtocol(
  protocols: readonly string[],
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUrlWithProtocol',
      constraints: [protocols],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return protocols.includes(url.protocol) && url.hostname !== '';
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => `${args?.property} must be a URL starting with ${protocols.join(' or ')}//`,
      },
    },
    options,
  );
}

/** `scope:key1,key2;scope:key3` - see parseApiKeys for the rules. */
export function IsScopedKeys(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isScopedKeys',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseApiKeys(value).ok,
        defaultMessage: (args) => {
          const parsed = typeof args?.value === 'string' ? parseApiKeys(args.value) : undefined;
          const why = parsed && !parsed.ok ? parsed.error : 'must be a string';
          return `${args?.property} ${why} (expected e.g. ingest:k1,k2;read:k3;admin:k4)`;
        },
      },
    },
    options,
  );
}

/** `true/false/1/0` to a boolean; anything else stays a string so @IsBoolean reports it. */
export function ToBoolean(): PropertyDecorator {
  return Transform(({ value }: TransformFnParams): unknown => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  });
}

/** A decimal string to a number (`NaN` when it is not one, so @IsInt reports it). */
export function ToNumber(): PropertyDecorator {
  return Transform(({ value }: TransformFnParams): unknown =>
    typeof value === 'string' ? (/^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN) : value,
  );
}

/**
 * The default of every user-idle TTL (the aggregator's engagement keys, the writer's vectors): set
 * alike, a user's state goes at once. 30 days.
 */
export const DEFAULT_USER_IDLE_TTL_SEC = 30 * 24 * 3600;

/**
 * Seconds a user may stay idle before a service deletes what it keeps of them (a decimal string):
 * 0 (never) or from a day to ten years. One rule for every such TTL, so they can be set alike.
 */
export function IsUserIdleTtlSec(): PropertyDecorator {
  const decorators = [
    ToNumber(),
    IsInt(),
    ValidateIf((_dto: object, value: unknown) => value !== 0),
    Min(86_400, { message: '$property must be 0 (never) or at least $constraint1 seconds (a day)' }),
    Max(10 * 365 * 86_400),
  ];
  return (target, property) => {
    for (const decorate of decorators) decorate(target, property);
  };
}
