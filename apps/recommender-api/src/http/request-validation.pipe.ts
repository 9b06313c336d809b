import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { RequestDtoConverter } from './request-dto.converter';

type DtoClass = new () => object;

/**
 * Query/params validation of every endpoint: unknown parameters are refused, values converted
 * explicitly by the DTOs' @Type/@Transform. A 400 lists each bad field with its rule. Valid
 * input takes the compiled fast path (RequestDtoConverter); anything it rejects, or a class it
 * cannot run, goes through Nest's ValidationPipe, which answers the 400.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  private readonly compiled = new Map<DtoClass, RequestDtoConverter<object> | null>();

  constructor() {
    super({ transform: true, whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype, type } = metadata;
    if (
      (type === 'query' || type === 'param') &&
      metatype &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value)
    ) {
      const fast = this.compiledFor(metatype as DtoClass)?.validate(value as Record<string, unknown>);
      if (fast) return fast;
    }
    return super.transform(value, metadata);
  }

  private compiledFor(cls: DtoClass): RequestDtoConverter<object> | null {
    let validator = this.compiled.get(cls);
    if (validator === undefined) {
      validator = RequestDtoConverter.compile(cls);
      this.compiled.set(cls, validator);
    }
    return validator;
  }
}

/** One pipe per controller (`@UsePipes(requestValidationPipe())`). */
export function requestValidationPipe(): RequestValidationPipe {
  return new RequestValidationPipe();
}
