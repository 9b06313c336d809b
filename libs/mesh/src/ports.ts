import { createServer } from 'node:net';

/** True when something already listens on `port` (binding it on all interfaces fails). */
export async function portInUse(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(true);
      else reject(error);
    });
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(false)));
  });
}

/** Ports freePort handed out in this process: the OS may offer a port again once its probe closed. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, never one this process was given before: two calls in a row (a
 * broker's listener and controller ports, a service's HTTP and gRPC ports) could otherwise get the
 * same port, which the OS offers again as soon as the probe socket closed.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (address === null || typeof address === 'string') throw new Error('no port');
    if (handedOut.has(address.port)) continue;
    handedOut.add(address.port);
    return address.port;
  }
}
