import { createServer } from 'node:net';
import { freePort } from './ports';
import { portInUse } from './ports';

describe('ports', () => {
  it('tells a port something listens on from a free one', async () => {
    const port = await freePort();
    expect(await portInUse(port)).toBe(false);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
    try {
      expect(await portInUse(port)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
