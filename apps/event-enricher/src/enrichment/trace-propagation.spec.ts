import { parseTraceparent } from '@app/observability';
import { propagateTrace } from './trace-propagation';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN = 'b7ad6b7169203331';

describe('propagateTrace', () => {
  it('continues a sampled trace with a child span of this hop, to be logged', () => {
    const { header, span } = propagateTrace(`00-${TRACE_ID}-${PARENT_SPAN}-01`);
    const child = parseTraceparent(header);
    expect(child).toEqual({ traceId: TRACE_ID, spanId: expect.any(String) as string, flags: 1 });
    expect(child?.spanId).not.toBe(PARENT_SPAN);
    expect(span).toEqual({ context: child, parentSpanId: PARENT_SPAN });
  });

  it('passes an unsampled trace on unchanged, with nothing to log', () => {
    const incoming = `00-${TRACE_ID}-${PARENT_SPAN}-00`;
    expect(propagateTrace(incoming)).toEqual({ header: incoming });
  });

  it('passes nothing on for an absent or invalid traceparent', () => {
    expect(propagateTrace(undefined)).toEqual({});
    expect(propagateTrace('tp')).toEqual({});
    expect(propagateTrace(`00-${'0'.repeat(32)}-${PARENT_SPAN}-01`)).toEqual({});
  });
});
