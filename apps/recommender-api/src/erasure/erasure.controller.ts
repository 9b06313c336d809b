import { ApiKeyGuard, RequireScope } from '@app/api-auth';
import { Controller, Delete, HttpStatus, Inject, Param, Res, UseGuards, UsePipes } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { UserIdParamDto } from '../feed/feed.dto';
import { requestValidationPipe } from '../http/request-validation.pipe';
import { ErasureResult, ErasureService } from './erasure.service';

export const ERASURE_SERVICE = Symbol('ERASURE_SERVICE');

interface StatusReply {
  status(code: number): unknown;
}

@ApiTags('users')
@ApiSecurity('api-key')
@Controller('v1/users')
@UseGuards(ApiKeyGuard)
@UsePipes(requestValidationPipe())
export class ErasureController {
  constructor(@Inject(ERASURE_SERVICE) private readonly erasure: ErasureService) {}

  @Delete(':userId')
  @RequireScope('admin')
  @ApiOkResponse({
    description:
      'user.erased produced and reflected: no state of the user is left (Redis, or memory in the one-process mode).',
  })
  @ApiAcceptedResponse({ description: 'Produced, not yet reflected within ERASURE_WAIT_MS (it will be).' })
  @ApiForbiddenResponse({ description: 'The key lacks the admin scope.' })
  async erase(
    @Param() params: UserIdParamDto,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<ErasureResult> {
    const result = await this.erasure.erase(params.userId);
    reply.status(result.reflected ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return result;
  }
}
