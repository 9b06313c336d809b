import { IsIn, IsInt, IsObject, IsString, Max, Min } from 'class-validator';
import { IsSafeId } from '../validation/decorators';
import { SCHEMA_VERSION } from './event-types';

/** The class-validator schema of the envelope (the `data` schema depends on `type`). */
export class EventEnvelopeDto {
  @IsSafeId() eventId!: string;
  @IsString() type!: string;
  @IsIn([SCHEMA_VERSION], { message: '$property must be 1' }) schemaVersion!: number;
  /** Epoch milliseconds. */
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) occurredAt!: number;
  @IsObject() data!: object;
}
