import { Presets, SingleBar } from 'cli-progress';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { startEmbeddedTarget } from './embedded.target';
import { feedSection } from './feed.section';
import { ingestSection } from './ingest.section';
import { latencySection } from './latency.section';
import { killAllLoads } from './load-generator';
import { startMeshTarget } from './mesh.target';
import { round } from './percentiles';
import { qualitySection } from './quality.section';
import { recallSection } from './recall.section';
import { Section, SectionContext } from './section';
import { servicesSection } from './services.section';
import { SectionName, SuiteOptions, USAGE, parseSuiteOptions } from './suite-options';
import { emptyResult, formatTable, judge } from './suite-result';
import { SuiteTarget } from './suite-target';
import { wrkInstalled } from '../wrk.load';
import { machineSpeedMs } from './machine-speed';
import { QuietWaitOptions, waitForQuietMachine } from './quiet-machine';

/**
 * Order matters: the per-service benches run before the mesh starts; the feed, recall and quality
 * benches after it stopped, so no section competes with an idle mesh for the two cores.
 */
const SECTIONS: Record<SectionName, { run: Section; usesTarget: boolean }> = {
  services: { run: servicesSection, usesTarget: false },
  ingest: { run: ingestSection, usesTarget: true },
  latency: { run: latencySection, usesTarget: true },
  feed: { run: feedSection, usesTarget: false },
  recall: { run: recallSection, usesTarget: false },
  quality: { run: qualitySection, usesTarget: false },
};

/**
 * Before each section that does not run on the mesh already started: the machine quiet (under
 * 10 % of all cores busy over 2 s), waiting at most 60 s (with --quick, which must stay under three
 * minutes, over 0.5 s and at most 3 s). The wait and the busy share are in the details (`sections.<name>.quietWait`),
 * with the machine's speed then (`machineSpeedMs`, machine-speed.ts).
 */
const quietWaitFor = (quick: boolean): QuietWaitOptions => ({
  busyBelowPct: 10,
  windowMs: quick ? 500 : 2_000,
  maxWaitMs: quick ? 3_000 : 60_000,
});

/** `npm run bench [-- options]`: every section, a table with targets, JSON with --out. Exit code. */
export async function runSuite(argv: string[]): Promise<number> {
  let options: SuiteOptions;
  try {
    options = parseSuiteOptions(argv, wrkInstalled);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const startedAt = new Date();
  const result = emptyResult(options.mode);
  const details: Record<string, unknown> = {};
  const notes: string[] = [];
  const bar = new SingleBar(
    {
      format: '{bar} {value}/{total} | {section} | {detail} | {duration_formatted}',
      hideCursor: true,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 10_000,
    },
    Presets.shades_classic,
  );
  const order = (Object.keys(SECTIONS) as SectionName[]).filter((s) => options.sections.includes(s));
  bar.start(order.length, 0, { section: 'starting', detail: '' });
  // the mesh / nowcast, started by the first section that asks for it
  const started: { target: Promise<SuiteTarget> | null; live: SuiteTarget | null } = {
    target: null,
    live: null,
  };
  const stopTarget = async () => {
    const running = started.target;
    started.target = null;
    started.live = null;
    if (!running) return;
    bar.update({
      detail: `stopping the ${options.mode === 'mesh' ? 'mesh, deleting its topics and keys' : 'nowcast app'}`,
    });
    await (await running.catch(() => null))?.stop();
  };
  // Ctrl-C / SIGTERM: stop the services this run started before leaving
  const interrupted = (signal: NodeJS.Signals) => {
    bar.stop();
    console.error(`\n${signal}: stopping what the suite started...`);
    killAllLoads();
    void stopTarget().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // a crash must not leave the services or a load generator running
  const onExit = () => {
    killAllLoads();
    started.live?.kill();
  };
  process.once('exit', onExit);
  const describeTarget = async () => {
    if (started.target) details.target = (await started.target.catch(() => null))?.describe();
  };
  const sectionTimes: Record<string, unknown> = {};
  try {
    for (const name of order) {
      const ctx: SectionContext = {
        options,
        result,
        details,
        notes,
        progress: (detail) => bar.update({ section: name, detail }),
        target: () => {
          started.target ??= (async () => {
            bar.update({
              section: name,
              detail: `starting the ${options.mode === 'mesh' ? 'mesh' : 'nowcast app'}`,
            });
            started.live =
              options.mode === 'mesh'
                ? await startMeshTarget({
                    brokers: options.brokers,
                    redisUrl: options.redisUrl,
                    runtime: options.runtime,
                    env: options.env,
                  })
                : await startEmbeddedTarget({ runtime: options.runtime });
            return started.live;
          })();
          return started.target;
        },
        stopTarget,
      };
      if (!SECTIONS[name].usesTarget && started.target) {
        bar.update({ section: name, detail: 'stopping the target' });
        await describeTarget();
        await stopTarget();
      }
      // a section on the running mesh takes it as the section before left it (idle, ~14 % busy)
      const reusesTarget = SECTIONS[name].usesTarget && started.target !== null;
      bar.update({ section: name, detail: reusesTarget ? '' : 'waiting for a quiet machine' });
      const quiet = reusesTarget ? null : await waitForQuietMachine(quietWaitFor(options.quick));
      const speedMs = reusesTarget ? null : machineSpeedMs();
      bar.update({ section: name, detail: '' });
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      try {
        await SECTIONS[name].run(ctx);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        notes.push(`${name}: failed: ${message.split('\n')[0]}`);
        details[`${name}Error`] = message;
      }
      const cpu = process.cpuUsage(cpu0);
      sectionTimes[name] = {
        wallSec: Math.round((Date.now() - t0) / 1000),
        suiteProcessCpuSec: round((cpu.user + cpu.system) / 1e6, 1),
        loadAverage1mAfter: round(loadavg()[0]),
        quietWait: quiet,
        machineSpeedMs: speedMs,
      };
      bar.increment(1, { section: name, detail: 'done' });
    }
  } finally {
    await describeTarget();
    await stopTarget();
    bar.stop();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    process.off('exit', onExit);
  }
  const wallSec = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const rows = judge(result);
  const judged = options.mode === 'mesh';
  console.log(
    `\nNowcast benchmark suite, mode ${options.mode}${options.quick ? ' (--quick)' : ''}, ${wallSec} s`,
  );
  console.log(formatTable(rows, judged));
  if (!judged) console.log('(targets are judged on --mode mesh; shown here for information)');
  for (const note of notes) console.log(`note: ${note}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (shared machine: figures are floors)`,
  );
  if (options.out) {
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    const detailsFile = options.out.replace(/(\.json)?$/, '.details.json');
    const all = {
      command: `npm run bench -- ${argv.join(' ')}`.trim(),
      startedAt: startedAt.toISOString(),
      wallSec,
      loadAverageAtEnd: loadavg().map((l) => round(l)),
      sections: sectionTimes,
      notes,
      rows,
      ...details,
    };
    writeFileSync(detailsFile, `${JSON.stringify(all, null, 2)}\n`);
    console.log(`wrote ${options.out} and ${detailsFile}`);
  } else console.log(JSON.stringify(result, null, 2));
  return 0;
}
