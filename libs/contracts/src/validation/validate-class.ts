import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, ValidatorOptions, validateSync } from 'class-validator';
import { InvalidMessageIssue } from '../events/invalid-message.error';
import { CompiledValidator } from './compiled-validator';

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

const compiled = new Map<ClassConstructor<object>, CompiledValidator<object> | null>();

function compiledFor<T extends object>(cls: ClassConstructor<T>): CompiledValidator<T> | null {
  let validator = compiled.get(cls);
  if (validator === undefined) {
    validator = CompiledValidator.compile(cls);
    compiled.set(cls, validator);
  }
  return validator as CompiledValidator<T> | null;
}

/**
 * Validates `plain` against the decorators of `cls`. Valid input takes the compiled fast path;
 * invalid input (or a class the fast path cannot run) goes through plainToInstance +
 * validateSync, whose errors become the issues. `prefix` names where `plain` sits ("data.").
 */
export function validateClass<T extends object>(
  cls: ClassConstructor<T>,
  plain: object,
  prefix: string,
): ValidatedClass<T> {
  const fast = compiledFor(cls)?.validate(plain as Record<string, unknown>);
  if (fast) return { value: fast, issues: [] };
  return validateClassSlow(cls, plain, prefix);
}

/** Plain class-validator: plainToInstance + validateSync (also the fast path's reference). */
export function validateClassSlow<T extends object>(
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
  return at === -1
    ? `${path}: ${message}`
    : message.slice(0, at) + path + message.slice(at + property.length);
}
