import { CompiledValidator } from '@app/contracts';
import { ClassTransformOptions, TransformFnParams, TransformationType } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { classTransformerMetadata } from './class-transformer.metadata';

interface Conversion {
  name: string;
  /** class-transformer's @Type target for a string value (Number, String, Boolean), if any. */
  type: ((value: string) => unknown) | null;
  /** class-transformer's @Transform functions (plain -> class), applied after the type. */
  transforms: ((params: TransformFnParams) => unknown)[];
}

const PRIMITIVE_TYPES = new Map<unknown, (value: string) => unknown>([
  [Number, Number],
  [String, String],
  [Boolean, Boolean],
]);
const TRANSFORM_OPTIONS: ClassTransformOptions = {};

/**
 * A request DTO (query or path parameters) converted and validated on the hot path of every
 * request: unknown parameters refused (forbidNonWhitelisted), class-transformer's @Type
 * (primitives) and @Transform read once from its metadata and applied as plainToInstance would
 * for string values, then the class-validator decorators run by libs/contracts' CompiledValidator
 * (verdict only). class-validator's own executor re-reads the metadata and builds an error tree
 * on every call (~30 us of a feed request). On a null verdict the caller runs Nest's
 * ValidationPipe for the 400's messages; a unit test checks both agree.
 */
export class RequestDtoConverter<T extends object> {
  private readonly known: ReadonlySet<string>;

  private constructor(
    private readonly conversions: readonly Conversion[],
    private readonly validator: CompiledValidator<T>,
  ) {
    this.known = new Set(conversions.map((c) => c.name));
  }

  /** Null when the class uses a feature this path does not run (nested, @Expose, async...). */
  static compile<T extends object>(cls: new () => T): RequestDtoConverter<T> | null {
    const transformer = classTransformerMetadata;
    if (transformer.getExposedMetadatas(cls).length > 0 || transformer.getExcludedMetadatas(cls).length > 0)
      return null;
    const validator = CompiledValidator.compile(cls);
    if (!validator) return null;
    // the properties CompiledValidator checks: those with class-validator decorators
    const storage = getMetadataStorage();
    const names = Object.keys(
      storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', true, false)),
    );
    const conversions: Conversion[] = [];
    for (const name of names) {
      const typeMetadata = transformer.findTypeMetadata(cls, name);
      const type = typeMetadata ? PRIMITIVE_TYPES.get(typeMetadata.typeFunction()) : null;
      if (type === undefined) return null; // @Type of a class: nested objects are not run here
      const transforms = transformer
        .findTransformMetadatas(cls, name, TransformationType.PLAIN_TO_CLASS)
        .map((m) => m.transformFn);
      conversions.push({ name, type, transforms });
    }
    return conversions.length > 0 ? new RequestDtoConverter(conversions, validator) : null;
  }

  /**
   * The converted instance when `plain` is valid and has no unknown property (whitelist +
   * forbidNonWhitelisted), else null.
   */
  validate(plain: Record<string, unknown>): T | null {
    for (const key in plain) if (!this.known.has(key)) return null;
    const converted: Record<string, unknown> = {};
    for (const conversion of this.conversions) {
      const raw = plain[conversion.name];
      if (raw === undefined) continue;
      // query strings and path params are strings; anything else (a repeated parameter's array)
      // takes the full class-transformer + class-validator path
      if (typeof raw !== 'string') return null;
      let value: unknown = conversion.type ? conversion.type(raw) : raw;
      for (const transformFn of conversion.transforms)
        value = transformFn({
          value,
          key: conversion.name,
          obj: plain,
          type: TransformationType.PLAIN_TO_CLASS,
          options: TRANSFORM_OPTIONS,
        });
      converted[conversion.name] = value;
    }
    return this.validator.validate(converted);
  }
}
