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
