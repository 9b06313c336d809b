import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '@app/mesh';

const root = join(__dirname, '..');

// The V8 flags live in three places that cannot share code (the mesh, the image's exec-form CMD,
// the npm start launcher): a flag dropped from one silently changes how that deployment collects
// garbage (docs/benchmarks-history.md, session 22).
describe("the services' V8 flags", () => {
  it("are the arguments of the runtime image's command", () => {
    // the last stage's CMD (the tools stage before it runs the simulator)
    const cmd = /^CMD (\["node".*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/main.js']);
  });

  it('are the arguments npm start runs apps/nowcast with', () => {
    const launcher = readFileSync(join(root, 'scripts/start-nowcast.mjs'), 'utf8');
    for (const flag of SERVICE_NODE_FLAGS) expect(launcher).toContain(`'${flag}'`);
  });
});
