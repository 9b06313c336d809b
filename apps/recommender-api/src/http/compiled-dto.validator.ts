import { ClassTransformOptions, TransformFnParams, TransformationType } from 'class-transformer';
import { classTransformerMetadata } from './class-transformer.metadata';
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

interface Check {
  constraint: ValidatorConstraintInterface;
  each: boolean;
  metadata: ValidationMetadata;
}

interface Property {
  name: string;
  /** class-transformer's @Type target for a string value (Number, String, Boolean), if any. */
  type: ((value: string) => unknown) | null;
  /** class-transformer's @Transform functions (plain -> class), applied after the type. */
  transforms: ((params: TransformFnParams) => unknown)[];
  conditions: Condition[];
  checks: Check[];
}

const PRIMITIVE_TYPES = new Map<unknown, (value: string) => unknown>([
  [Number, Number],
  [String, String],
  [Boolean, Boolean],
]);
const TRANSFORM_OPTIONS: ClassTransformOptions = {};

/**
 * A request DTO's class-validator decorators, read once from the metadata storage and executed
 * directly: a valid/invalid verdict only, for the hot path of every request. class-validator's
 * own executor re-reads and groups the metadata and builds an error tree on every call (~30 us of
 * a feed request), and class-transformer's plainToInstance walks every key generically. The
 * schema stays the decorators: class-transformer's @Type (primitives) and @Transform are read
 * from its metadata and applied as it would for string values; on a null verdict the caller runs the real ValidationPipe for the 400's
 * messages, and a unit test checks both agree. Same idea as libs/contracts' CompiledValidator,
 * which that lib does not export.
 */
export class CompiledDtoValidator<T extends object> {
  private readonly known: ReadonlySet<string>;

  private constructor(
    private readonly cls: new () => T,
    private readonly properties: readonly Property[],
  ) {
    this.known = new Set(properties.map((p) => p.name));
  }

  /** Null when the class uses a feature this executor does not run (nested, async, groups...). */
  static compile<T extends object>(cls: new () => T): CompiledDtoValidator<T> | null {
    const storage = getMetadataStorage();
    const transformer = classTransformerMetadata;
    if (transformer.getExposedMetadatas(cls).length > 0 || transformer.getExcludedMetadatas(cls).length > 0)
      return null;
    const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', true, false));
    const properties: Property[] = [];
    for (const [name, metadatas] of Object.entries(grouped)) {
      const typeMetadata = transformer.findTypeMetadata(cls, name);
      const type = typeMetadata ? PRIMITIVE_TYPES.get(typeMetadata.typeFunction()) : null;
      if (type === undefined) return null; // @Type of a class: nested objects are not run here
      const transforms = transformer
        .findTransformMetadatas(cls, name, TransformationType.PLAIN_TO_CLASS)
        .map((m) => m.transformFn);
      const property: Property = { name, type, transforms, conditions: [], checks: [] };
      for (const metadata of metadatas) {
        if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
          property.conditions.push(metadata.constraints[0] as Condition);
        } else if (metadata.type === ValidationTypes.CUSTOM_VALIDATION) {
          for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
            if (constraint.async) return null;
            property.checks.push({ constraint: constraint.instance, each: metadata.each, metadata });
          }
        } else {
          return null;
        }
      }
      properties.push(property);
    }
    return properties.length > 0 ? new CompiledDtoValidator(cls, properties) : null;
  }

  /**
   * The converted instance when `plain` is valid and has no unknown property (whitelist +
   * forbidNonWhitelisted), else null.
   */
  validate(plain: Record<string, unknown>): T | null {
    for (const key in plain) if (!this.known.has(key)) return null;
    const instance = new this.cls();
    const record = instance as Record<string, unknown>;
    for (const property of this.properties) {
      const raw = plain[property.name];
      if (raw === undefined) continue;
      // query strings and path params are strings; anything else (a repeated parameter's array)
      // takes the full class-transformer + class-validator path
      if (typeof raw !== 'string') return null;
      let value: unknown = property.type ? property.type(raw) : raw;
      for (const transformFn of property.transforms)
        value = transformFn({
          value,
          key: property.name,
          obj: plain,
          type: TransformationType.PLAIN_TO_CLASS,
          options: TRANSFORM_OPTIONS,
        });
      record[property.name] = value;
    }
    for (const property of this.properties) {
      const value = record[property.name];
      if (!this.conditionsHold(property, instance, value)) continue;
      for (const check of property.checks) {
        if (!this.passes(check, instance, property.name, value)) return null;
      }
    }
    return instance;
  }

  private conditionsHold(property: Property, instance: object, value: unknown): boolean {
    for (const condition of property.conditions) if (!condition(instance, value)) return false;
    return true;
  }

  private passes(check: Check, object: object, property: string, value: unknown): boolean {
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
