import { ApiKeyScope } from '@app/config';
import { SetMetadata } from '@nestjs/common';

export const REQUIRED_SCOPE = 'nowcast:required-scope';

/** The scope a controller or handler needs; ApiKeyGuard defaults to `admin` where none is set. */
export const RequireScope = (scope: ApiKeyScope): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scope);
