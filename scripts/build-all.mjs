// `npm run build`: `nest build <app>` for every application in nest-cli.json (each is buildable alone).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { projects } = JSON.parse(readFileSync(new URL('../nest-cli.json', import.meta.url), 'utf8'));
const apps = Object.entries(projects)
  .filter(([, project]) => project.type === 'application')
  .map(([name]) => name);
for (const app of apps) {
  const started = Date.now();
  execFileSync('npx', ['nest', 'build', app], { stdio: 'inherit' });
  console.log(`built ${app} in ${((Date.now() - started) / 1000).toFixed(1)} s -> dist/apps/${app}/main.js`);
}
