import { AddressInfo, Server, Socket, createServer, connect } from 'node:net';
import { status as GrpcStatus, ServiceError } from '@grpc/grpc-js';
import { Test, TestingModule } from '@nestjs/testing';
import { REDIS_CLIENT, RedisClient, RedisModule } from '@app/redis';
import { testInfra, uniqueName } from '@app/testing';
import { GrpcHealthClient, HealthStatus } from './grpc-health.client';
import { GrpcHealthServer, LIVENESS_SERVICE } from './grpc-health.server';
import { HealthModule } from './health.module';
import { redisCheck } from './redis.check';
import { ShutdownState } from './shutdown.state';

/**
 * A TCP proxy in front of the test Redis: `down()` closes it and cuts its connections, which is
 * a Redis outage for the app under test only (the shared test Redis keeps running).
 */
class RedisOutageProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs` (20 s: the
 * recovery waits for ioredis' reconnect backoff, up to 2 s a try, on a machine others load too).
 */
async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GrpcHealthServer (grpc.health.v1 with a real client)', () => {
  const SERVICE = 'test-service';
  let proxy: RedisOutageProxy;
  let moduleRef: TestingModule;
  let grpcHealth: GrpcHealthServer;
  let client: GrpcHealthClient;
  let closed = false;

  beforeAll(async () => {
    proxy = new RedisOutageProxy(new URL(testInfra().redisUrl));
    await proxy.up();
    moduleRef = await Test.createTestingModule({
      imports: [
        RedisModule.forRoot({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: `${uniqueName('grpc')}:` }),
        HealthModule.forRootAsync({
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient) => ({ checks: [redisCheck(redis)], timeoutMs: 300 }),
        }),
      ],
    })
      .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined })
      .compile();
    await moduleRef.init();
    grpcHealth = moduleRef.get(GrpcHealthServer);
    const port = await grpcHealth.listen({
      serviceName: SERVICE,
      port: 0,
      host: '127.0.0.1',
      pollIntervalMs: 100,
    });
    client = new GrpcHealthClient(`127.0.0.1:${port}`);
  });

  afterAll(async () => {
    client?.close();
    if (!closed) await moduleRef?.close();
    await proxy?.down();
  });

  it('answers SERVING under the service name and "" once the checks pass, and liveness at once', async () => {
    expect(await client.check(LIVENESS_SERVICE)).toBe('SERVING');
    await until(() => grpcHealth.readinessStatus === 'SERVING', 'readiness SERVING');
    expect(await client.check(SERVICE)).toBe('SERVING');
    expect(await client.check('')).toBe('SERVING');
  });

  it('answers NOT_FOUND for a service it does not know', async () => {
    await expect(client.check('no-such-service')).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('streams NOT_SERVING on Watch when Redis goes down, keeps liveness SERVING, and recovers', async () => {
    const readiness: HealthStatus[] = [];
    const liveness: HealthStatus[] = [];
    const watches = [
      client.watch(SERVICE, (s) => readiness.push(s)),
      client.watch(LIVENESS_SERVICE, (s) => liveness.push(s)),
    ];
    try {
      await until(() => readiness.length === 1 && liveness.length === 1, 'the current status on Watch');
      expect(readiness).toEqual(['SERVING']);

      await proxy.down();
      await until(() => readiness.length === 2, 'NOT_SERVING on Watch');
      expect(readiness).toEqual(['SERVING', 'NOT_SERVING']);
      expect(await client.check(SERVICE)).toBe('NOT_SERVING');
      expect(await client.check('')).toBe('NOT_SERVING');
      // the process is fine: a Redis outage must not make the kubelet restart it
      expect(await client.check(LIVENESS_SERVICE)).toBe('SERVING');
      expect(liveness).toEqual(['SERVING']);

      await proxy.up();
      await until(() => readiness.length === 3, 'SERVING again on Watch');
      expect(readiness).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      for (const watch of watches) watch.cancel();
    }
  });

  it('turns NOT_SERVING the moment shutdown begins, then closes the port', async () => {
    await until(() => grpcHealth.readinessStatus === 'SERVING', 'readiness SERVING');
    const readiness: HealthStatus[] = [];
    let ended = false;
    const watch = client.watch(
      SERVICE,
      (s) => readiness.push(s),
      () => (ended = true),
    );
    await until(() => readiness.length === 1, 'the current status on Watch');

    moduleRef.get(ShutdownState).begin();
    // synchronous: no poll or probe in between
    expect(grpcHealth.readinessStatus).toBe('NOT_SERVING');
    expect(await client.check(SERVICE)).toBe('NOT_SERVING');
    expect(await client.check(LIVENESS_SERVICE)).toBe('SERVING');
    await until(() => readiness.length === 2, 'NOT_SERVING on Watch');
    expect(readiness).toEqual(['SERVING', 'NOT_SERVING']);

    await moduleRef.close();
    closed = true;
    await until(() => ended, 'the Watch stream to be cut');
    watch.cancel();
    const after = await client.check(LIVENESS_SERVICE, 300).then(
      () => undefined,
      (error: ServiceError) => error.code,
    );
    expect([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]).toContain(after);
  });
});
