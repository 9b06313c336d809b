import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { FeedQueryDto, UserIdParamDto } from '../feed/feed.dto';
import { SearchQueryDto, StreamIdParamDto, TrendingQueryDto } from '../streams/streams.dto';
import { RequestDtoConverter } from './request-dto.converter';
import { RequestValidationPipe } from './request-validation.pipe';

type Case = [new () => object, ArgumentMetadata['type'], Record<string, unknown>];

const long = (n: number) => 'a'.repeat(n);

/** Valid and invalid inputs of every request DTO, as Fastify hands them over (strings). */
const CASES: Case[] = [
  [FeedQueryDto, 'query', {}],
  [FeedQueryDto, 'query', { limit: '20' }],
  [FeedQueryDto, 'query', { limit: '0' }],
  [FeedQueryDto, 'query', { limit: '101' }],
  [FeedQueryDto, 'query', { limit: '2.5' }],
  [FeedQueryDto, 'query', { limit: 'abc' }],
  [FeedQueryDto, 'query', { limit: ['1', '2'] }],
  [FeedQueryDto, 'query', { limit: '' }],
  [FeedQueryDto, 'query', { cursor: 'c3QxLHN0Mg' }],
  [FeedQueryDto, 'query', { cursor: long(20_000) }],
  [FeedQueryDto, 'query', { category: 'trading-cards', language: 'pt-BR' }],
  [FeedQueryDto, 'query', { category: 'bad category' }],
  [FeedQueryDto, 'query', { language: 'ENGLISH' }],
  [FeedQueryDto, 'query', { excludeSellerIds: 's1,s2' }],
  [FeedQueryDto, 'query', { excludeSellerIds: 's1,bad id' }],
  [FeedQueryDto, 'query', { excludeSellerIds: Array.from({ length: 101 }, (_, i) => `s${i}`).join(',') }],
  [FeedQueryDto, 'query', { minAsOf: '1700000000000' }],
  [FeedQueryDto, 'query', { minAsOf: '-5' }],
  [FeedQueryDto, 'query', { unknown: '1' }],
  [FeedQueryDto, 'query', { limit: '5', unknown: '1' }],
  [UserIdParamDto, 'param', { userId: 'u-42' }],
  [UserIdParamDto, 'param', { userId: long(128) }],
  [UserIdParamDto, 'param', { userId: long(129) }],
  [UserIdParamDto, 'param', { userId: 'u x' }],
  [UserIdParamDto, 'param', { userId: '' }],
  [StreamIdParamDto, 'param', { streamId: 'stream-1' }],
  [StreamIdParamDto, 'param', { streamId: 'stream/1' }],
  [TrendingQueryDto, 'query', { category: 'coins', language: 'en', limit: '10' }],
  [TrendingQueryDto, 'query', { limit: '1000' }],
  [SearchQueryDto, 'query', { q: 'vintage watches', limit: '5' }],
  [SearchQueryDto, 'query', {}],
];

async function outcome(pipe: ValidationPipe, [cls, type, value]: Case): Promise<unknown> {
  try {
    const result: unknown = await pipe.transform({ ...value }, { type, metatype: cls });
    return { ok: result, isInstance: result instanceof cls };
  } catch (error) {
    if (error instanceof BadRequestException) return { status: 400, body: error.getResponse() };
    throw error;
  }
}

describe('RequestValidationPipe (compiled fast path)', () => {
  const reference = new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: false,
  });
  const pipe = new RequestValidationPipe();

  it.each(CASES.map((c) => [c[0].name, JSON.stringify(c[2]).slice(0, 60), c] as const))(
    'answers like Nest ValidationPipe: %s %s',
    async (_cls, _input, c) => {
      expect(await outcome(pipe, c)).toEqual(await outcome(reference, c));
    },
  );

  it('takes the fast path for valid input and refuses invalid or unknown input there', () => {
    const feed = RequestDtoConverter.compile(FeedQueryDto)!;
    expect(feed.validate({ limit: '20', excludeSellerIds: 's1,s2' })).toEqual(
      Object.assign(new FeedQueryDto(), { limit: 20, excludeSellerIds: ['s1', 's2'] }),
    );
    expect(feed.validate({ limit: '0' })).toBeNull();
    expect(feed.validate({ other: '1' })).toBeNull();
    expect(RequestDtoConverter.compile(UserIdParamDto)!.validate({ userId: long(129) })).toBeNull();
  });
});
