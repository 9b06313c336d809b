import { ApiKeyScope } from '@app/config';
import { ExecutionContext, ForbiddenException, HttpException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiAuthOptions, MissingApiKeysError } from './api-auth.options';
import { ApiKeyGuard } from './api-key.guard';
import { REQUIRED_SCOPE } from './require-scope.decorator';

const keys = new Map<ApiKeyScope, Set<string>>([
  ['read', new Set(['r1', 'r2'])],
  ['admin', new Set(['a1'])],
]);

function guard(overrides: Partial<ApiAuthOptions> = {}): ApiKeyGuard {
  return new ApiKeyGuard(
    { keys, nodeEnv: 'test', rateLimit: { max: 0, windowMs: 1000 }, ...overrides },
    new Reflector(),
  );
}

function context(
  scope: ApiKeyScope | undefined,
  apiKey: string | undefined,
  headers: Record<string, string> = {},
) {
  class Controller {
    handler(): void {}
  }
  if (scope) Reflect.defineMetadata(REQUIRED_SCOPE, scope, Controller.prototype.handler);
  const request = { headers: apiKey === undefined ? {} : { 'x-api-key': apiKey } };
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  return {
    getHandler: () => Controller.prototype.handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard', () => {
  it('accepts every key of the required scope (rotation)', () => {
    expect(guard().canActivate(context('read', 'r1'))).toBe(true);
    expect(guard().canActivate(context('read', 'r2'))).toBe(true);
  });

  it('401 for a missing or unknown key, 403 for the wrong scope', () => {
    expect(() => guard().canActivate(context('read', undefined))).toThrow(UnauthorizedException);
    expect(() => guard().canActivate(context('read', 'nope'))).toThrow(UnauthorizedException);
    expect(() => guard().canActivate(context('admin', 'r1'))).toThrow(ForbiddenException);
    expect(() => guard().canActivate(context('read', 'a1'))).toThrow(ForbiddenException);
  });

  it('requires admin where no scope is declared', () => {
    expect(() => guard().canActivate(context(undefined, 'r1'))).toThrow(ForbiddenException);
    expect(guard().canActivate(context(undefined, 'a1'))).toBe(true);
  });

  it('answers 429 with Retry-After once the key is over its limit', () => {
    const g = guard({ rateLimit: { max: 2, windowMs: 10_000 } });
    const headers: Record<string, string> = {};
    expect(g.canActivate(context('read', 'r1', headers))).toBe(true);
    expect(g.canActivate(context('read', 'r1', headers))).toBe(true);
    let thrown: unknown;
    try {
      g.canActivate(context('read', 'r1', headers));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpException);
    expect((thrown as HttpException).getStatus()).toBe(429);
    expect(headers['Retry-After']).toBe('5');
    // another key has its own bucket
    expect(g.canActivate(context('read', 'r2'))).toBe(true);
  });

  it('is open without keys outside production, and refuses to start in production', () => {
    const empty = new Map<ApiKeyScope, Set<string>>();
    expect(guard({ keys: empty }).canActivate(context('admin', undefined))).toBe(true);
    expect(() => guard({ keys: empty, nodeEnv: 'production' })).toThrow(MissingApiKeysError);
  });

  it('keeps each handler its own scope (handler over controller, then admin) across calls', () => {
    class Controller {
      read(): void {}
      inherited(): void {}
      undeclared(): void {}
    }
    Reflect.defineMetadata(REQUIRED_SCOPE, 'read', Controller.prototype.read);
    class Scoped extends Controller {}
    Reflect.defineMetadata(REQUIRED_SCOPE, 'read', Scoped);
    const at = (cls: object, handler: object) =>
      ({
        getHandler: () => handler,
        getClass: () => cls,
        switchToHttp: () => ({
          getRequest: () => ({ headers: { 'x-api-key': 'r1' } }),
          getResponse: () => ({}),
        }),
      }) as unknown as ExecutionContext;
    const g = guard();
    for (let i = 0; i < 2; i++) {
      expect(g.canActivate(at(Controller, Controller.prototype.read))).toBe(true);
      expect(() => g.canActivate(at(Controller, Controller.prototype.undeclared))).toThrow(
        ForbiddenException,
      );
      // the same handler function under a controller that declares `read`
      expect(g.canActivate(at(Scoped, Controller.prototype.undeclared))).toBe(true);
    }
  });
});
