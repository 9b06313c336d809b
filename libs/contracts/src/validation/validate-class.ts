import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, ValidatorOptions, validateSync } from 'class-validator';
import { InvalidMessageIssue } from '../events/invalid-message.error';

/**
 * Tolerant reader: properties without a decorator are stripped from the result (whitelist) but
 * never make the message invalid (no forbidNonWhitelisted), so additive changes keep the version.
 */
const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: false,
  forbidUnknownValues: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
};

export interface ValidatedClass<T> {
  value: T;
  issues: InvalidMessageIssue[];
}

/** plainToInstance + validateSync; `prefix` names where `plain` sits in the message ("data."). */
export function validateClass<T extends object>(
  cls: ClassConstructor<T>,
  plain: object,
  prefix: string,
): ValidatedClass<T> {
  const value = plainToInstance(cls, plain);
  const errors = validateSync(value, VALIDATOR_OPTIONS);
  return { value, issues: errors.length === 0 ? [] : flattenErrors(errors, prefix) };
}

/** class-validator's error tree as path + message pairs, the message naming the full path. */
export function flattenErrors(errors: readonly ValidationError[], prefix: string): InvalidMessageIssue[] {
  const issues: InvalidMessageIssue[] = [];
  for (const error of errors) {
    const path = `${prefix}${error.property}`;
    for (const message of Object.values(error.constraints ?? {})) {
      issues.push({ path, message: renamed(message, error.property, path) });
    }
    if (error.children && error.children.length > 0) {
      issues.push(...flattenErrors(error.children, `${path}.`));
    }
  }
  return issues;
}

/** class-validator says "amount must be ..."; we say "data.amount must be ...". */
function renamed(message: string, property: string, path: string): string {
  if (property === path) return message;
  const at = message.search(new RegExp(`\\b${property.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`));
  return at === -1 ? `${path}: ${message}` : message.slice(0, at) + path + message.slice(at + property.length);
}
