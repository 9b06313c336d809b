import {
  ValidationArguments,
  ValidationTypes,
  ValidatorConstraintInterface,
  getMetadataStorage,
} from 'class-validator';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];
type Condition = (object: object, value: unknown) => boolean;

interface CompiledCheck {
  constraint: ValidatorConstraintInterface;
  each: boolean;
  metadata: ValidationMetadata;
  /** The same verdict as `constraint.validate` for the commonest rules, without its argument object. */
  test?: (value: unknown) => boolean;
}

/**
 * Direct versions of class-validator's most used rules, copied from its (and validator.js')
 * implementations so the verdicts are identical; each call of a rule through `constraint.validate`
 * costs an arguments object and a few indirections, and there are ~10 per event.
 */
function fastTest(metadata: ValidationMetadata): ((value: unknown) => boolean) | undefined {
  if (metadata.each) return undefined;
  const [constraint, modifiers] = (metadata.constraints ?? []) as unknown[];
  switch (metadata.name ?? '') {
    case 'isString':
      return (value) => typeof value === 'string' || value instanceof String;
    case 'isInt':
      return (value) => typeof value === 'number' && Number.isInteger(value);
    case 'min':
      return typeof constraint === 'number'
        ? (value) => typeof value === 'number' && value >= constraint
        : undefined;
    case 'max':
      return typeof constraint === 'number'
        ? (value) => typeof value === 'number' && value <= constraint
        : undefined;
    case 'isIn':
      return Array.isArray(constraint)
        ? (value) => constraint.some((allowed) => allowed === value)
        : undefined;
    case 'matches':
      // validator.js: !!str.match(pattern); for a RegExp without g/y flags that is pattern.test(str)
      return constraint instanceof RegExp &&
        !constraint.global &&
        !constraint.sticky &&
        modifiers === undefined
        ? (value) => typeof value === 'string' && constraint.test(value)
        : undefined;
    case 'isObject':
      return (value) =>
        value != null && (typeof value === 'object' || typeof value === 'function') && !Array.isArray(value);
    default:
      return undefined;
  }
}

interface CompiledProperty {
  name: string;
  conditions: Condition[];
  checks: CompiledCheck[];
}

/**
 * The class-validator decorators of `cls`, read once from its metadata storage and executed
 * directly: valid/invalid verdict only. class-validator's own executor re-reads, filters and
 * groups the metadata on every call and builds an error tree even for valid input, which made it
 * ~2x the whole parse budget (see bench/contracts-parse.bench.ts). The schema stays the
 * decorators; on a `false` verdict callers run the real validateSync for the messages, and a
 * unit test checks that both verdicts agree on every fixture and every rule's rejection case.
 */
export class CompiledValidator<T extends object> {
  private readonly properties: CompiledProperty[];

  private constructor(
    private readonly cls: new () => T,
    properties: CompiledProperty[],
  ) {
    this.properties = properties;
  }

  /** Null when the class uses a feature this executor does not implement (nested, async, ...). */
  static compile<T extends object>(cls: new () => T): CompiledValidator<T> | null {
    const storage = getMetadataStorage();
    const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', true, false));
    const properties: CompiledProperty[] = [];
    for (const [name, metadatas] of Object.entries(grouped)) {
      const property: CompiledProperty = { name, conditions: [], checks: [] };
      for (const metadata of metadatas) {
        if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
          property.conditions.push(metadata.constraints[0] as Condition);
        } else if (metadata.type === ValidationTypes.CUSTOM_VALIDATION) {
          for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
            if (constraint.async) return null;
            property.checks.push({
              constraint: constraint.instance,
              each: metadata.each,
              metadata,
              test: fastTest(metadata),
            });
          }
        } else {
          return null;
        }
      }
      properties.push(property);
    }
    return new CompiledValidator(cls, properties);
  }

  /**
   * Copies the decorated properties of `plain` onto a new instance (whitelist: the rest is
   * dropped) and validates it; null when invalid.
   */
  validate(plain: Record<string, unknown>): T | null {
    const instance = Object.create(this.cls.prototype as object) as Record<string, unknown>;
    for (const property of this.properties) {
      const value = plain[property.name];
      if (value !== undefined) instance[property.name] = value;
    }
    for (const property of this.properties) {
      const value = instance[property.name];
      if (!this.conditionsHold(property, instance, value)) continue;
      for (const check of property.checks) {
        if (!this.passes(check, instance, property.name, value)) return null;
      }
    }
    return instance as T;
  }

  private conditionsHold(property: CompiledProperty, instance: object, value: unknown): boolean {
    for (const condition of property.conditions) if (!condition(instance, value)) return false;
    return true;
  }

  private passes(check: CompiledCheck, object: object, property: string, value: unknown): boolean {
    if (check.test) return check.test(value);
    const args: ValidationArguments = {
      targetName: this.cls.name,
      property,
      object,
      value,
      constraints: check.metadata.constraints,
    };
    if (check.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
      const items: unknown[] = value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
      for (const item of items) if (check.constraint.validate(item, args) !== true) return false;
      return true;
    }
    return check.constraint.validate(value, args) === true;
  }
}
