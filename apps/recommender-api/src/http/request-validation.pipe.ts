import { ValidationPipe } from '@nestjs/common';

/**
 * Query/params validation of every endpoint: unknown parameters are refused, values converted
 * explicitly by the DTOs' @Type/@Transform. A 400 lists each bad field with its rule.
 */
export function requestValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: false,
  });
}
