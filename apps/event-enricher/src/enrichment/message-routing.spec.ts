import { KafkaInboundMessage } from '@app/kafka';
import { routeMessages } from './message-routing';

const NOW = 1_764_150_000_000;
const message = (value: Buffer | null, offset = '0'): KafkaInboundMessage => ({
  offset,
  key: Buffer.from('k'),
  value,
  headers: {},
  timestamp: NOW,
});
const valid = (eventId: string) =>
  Buffer.from(
    JSON.stringify({
      eventId,
      type: 'view.started',
      schemaVersion: 1,
      occurredAt: NOW,
      data: { userId: 'user-1', streamId: 'stream-1' },
      extra: 'ignored',
    }),
  );

describe('routeMessages', () => {
  const options = { nowMs: NOW, maxBytes: 1024 };

  it('keeps valid events in order and routes each kind of poison with its reason', () => {
    const bad = (data: object) =>
      Buffer.from(
        JSON.stringify({ eventId: 'x', type: 'view.started', schemaVersion: 1, occurredAt: NOW, data }),
      );
    const routed = routeMessages(
      [
        message(valid('a'), '1'),
        message(Buffer.from('{not json'), '2'),
        message(
          Buffer.from(
            JSON.stringify({ eventId: 'b', type: 'nope', schemaVersion: 1, occurredAt: NOW, data: {} }),
          ),
          '3',
        ),
        message(bad({ userId: 'user 1', streamId: 'stream-1' }), '4'),
        message(Buffer.alloc(2048, 'x'), '5'),
        message(null, '6'),
        message(valid('c'), '7'),
      ],
      options,
    );
    expect(routed.valid.map((v) => [v.message.offset, v.event.eventId])).toEqual([
      ['1', 'a'],
      ['7', 'c'],
    ]);
    expect(routed.valid[0].event).not.toHaveProperty('extra');
    expect(routed.poison.map((p) => [p.message.offset, p.error.reason])).toEqual([
      ['2', 'not-json'],
      ['3', 'unknown-type'],
      ['4', 'invalid-field'],
      ['5', 'too-large'],
      ['6', 'not-json'],
    ]);
    expect(routed.poison[2].error.issues[0].path).toBe('data.userId');
  });

  it('dead-letters events outside the occurredAt window', () => {
    const old = Buffer.from(
      JSON.stringify({
        eventId: 'o',
        type: 'stream.ended',
        schemaVersion: 1,
        occurredAt: NOW - 10_000,
        data: { streamId: 's' },
      }),
    );
    const routed = routeMessages([message(old)], { ...options, maxPastMs: 1_000 });
    expect(routed.poison[0].error.issues[0].path).toBe('occurredAt');
  });

  it('keeps the JSON text for splicing only when it holds exactly the validated event', () => {
    const exact = JSON.stringify({
      eventId: 'e',
      type: 'view.started',
      schemaVersion: 1,
      occurredAt: NOW,
      data: { userId: 'user-1', streamId: 'stream-1' },
    });
    const withoutVersion = JSON.stringify({
      eventId: 'f',
      type: 'view.started',
      occurredAt: NOW,
      data: { userId: 'user-1', streamId: 'stream-1' },
    });
    const extraData = JSON.stringify({
      eventId: 'g',
      type: 'view.started',
      schemaVersion: 1,
      occurredAt: NOW,
      data: { userId: 'user-1', streamId: 'stream-1', secret: 'x' },
    });
    const routed = routeMessages(
      [
        message(Buffer.from(` ${exact}\n`)),
        message(valid('top-level-extra')),
        message(Buffer.from(withoutVersion)),
        message(Buffer.from(extraData)),
      ],
      options,
    );
    expect(routed.valid.map((v) => v.json)).toEqual([` ${exact}\n`, undefined, undefined, undefined]);
  });
});
