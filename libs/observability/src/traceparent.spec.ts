import {
  childTraceContext,
  continueTrace,
  createTraceContext,
  formatTraceparent,
  parseTraceparent,
} from './traceparent';

const EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses and formats the spec example round trip', () => {
    const ctx = parseTraceparent(EXAMPLE);
    expect(ctx).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
    });
    expect(ctx && formatTraceparent(ctx)).toBe(EXAMPLE);
  });

  it.each([
    ['missing', undefined],
    ['garbage', 'hello'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra field in version 00', `${EXAMPLE}-x`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
  ])('rejects %s', (_why, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts a future version with extra fields', () => {
    expect(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra`)?.flags).toBe(0);
  });

  it('creates valid roots and children that keep the trace', () => {
    const root = createTraceContext();
    expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
    const child = childTraceContext(root);
    expect(child.traceId).toBe(root.traceId);
    expect(child.spanId).not.toBe(root.spanId);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('continues an incoming trace or starts a new one', () => {
    expect(continueTrace(EXAMPLE).traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(continueTrace('junk').traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
