import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `npm run bench -- <name> [--out file.json] [script args]` runs `bench/<name>.bench.ts`, whose
 * `run(args)` returns its figures; they are printed as a table and as JSON (and written with --out).
 * `npm run bench [-- --mode mesh|embedded --quick --out file.json ...]` (no name) runs the suite:
 * every headline figure beside its target (bench/suite, docs/benchmarks.md).
 */
interface BenchModule {
  run(args: string[]): Promise<Record<string, unknown>>;
}

function available(): string[] {
  return readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.replace(/\.bench\.ts$/, ''));
}

function flatten(value: unknown, prefix = '', rows: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, rows);
  } else {
    rows[prefix] = Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return rows;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const name = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  if (name === undefined) {
    const { runSuite } = await import('./suite/suite.runner');
    process.exitCode = await runSuite(argv);
    // a library's stray timer or socket must not keep a finished run alive
    setTimeout(() => process.exit(), 2_000).unref();
    return;
  }
  if (!available().includes(name)) {
    console.error(
      `usage: npm run bench [-- suite options]   |   npm run bench -- <name> [--out file.json] [args]\nbenchmarks: ${available().join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const args = argv.filter((arg, i) => arg !== name && i !== outIndex && i !== outIndex + 1);
  const bench = (await import(join(__dirname, `${name}.bench.ts`))) as BenchModule;
  const figures = await bench.run(args);
  const result = { benchmark: name, at: new Date().toISOString(), ...figures };
  console.table(
    Object.entries(flatten(figures)).map(([figure, value]) => ({ figure, value })),
    ['figure', 'value'],
  );
  console.log(JSON.stringify(result, null, 2));
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  }
}

void main();
