import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * CPU profiles of the mesh's services for `npm run bench -- hops --cpu-prof <dir>`. Node's own
 * `--cpu-prof` writes its file only on a clean exit, and Nest's shutdown hook re-raises SIGTERM, so
 * nothing would be written: instead every service preloads a tiny script (written into `<dir>`) that
 * starts the V8 sampling profiler on the first SIGUSR2 and writes `<service>-<pid>-<n>.cpuprofile`
 * on the next one. The bench sends both around each rate's probe window, so a profile covers
 * exactly the loaded steady state. The profiles are wall-clock samples: on a loaded machine a
 * function that was descheduled (typically a socket write) collects samples without using CPU.
 */
const PRELOAD = `
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.HOPS_CPU_PROF_DIR;
const m = /apps[\\\\/]([^\\\\/]+)[\\\\/]/.exec(process.argv[1] || '');
const service = m ? m[1] : path.basename(process.argv[1] || 'node');
let session = null;
let n = 0;
process.on('SIGUSR2', () => {
  if (!session) {
    session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
    return;
  }
  const current = session;
  session = null;
  current.post('Profiler.stop', (error, result) => {
    if (!error) fs.writeFileSync(path.join(dir, service + '-' + process.pid + '-' + n++ + '.cpuprofile'), JSON.stringify(result.profile));
    current.disconnect();
  });
});
`;

/** The environment that makes every service load the profiling hook (merge into the services' env). */
export function cpuProfileEnv(dir: string): Record<string, string> {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const preload = join(abs, 'hops-cpu-profile.preload.cjs');
  writeFileSync(preload, PRELOAD);
  return { NODE_OPTIONS: `--require ${preload}`, HOPS_CPU_PROF_DIR: abs };
}

/** Starts (first call) or stops and writes (second call) the profile of each process. */
export function toggleCpuProfiles(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // the process is gone
    }
  }
}

/** The .cpuprofile files in `dir` (the newest per service first). */
export function cpuProfileFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Profile window, ms. */
  windowMs: number;
  /** Samples not in (idle), ms of wall time. */
  busyMs: number;
  /** `ms  function url:line`, most self time first. */
  topSelf: string[];
  /** The same by inclusive time (the function or anything it called). */
  topInclusive: string[];
}

/** Self and inclusive wall time per function of a V8 .cpuprofile. */
export function summarizeCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampleMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    const deltaUs = profile.timeDeltas[i + 1] ?? 0;
    sampleMs.set(id, (sampleMs.get(id) ?? 0) + deltaUs / 1000);
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of sampleMs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    if (node.callFrame.functionName !== '(idle)') busyMs += ms;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur);
      if (!frame) break;
      const key = frameName(frame);
      if (seen.has(key)) continue; // recursion counts once
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const ranked = (m: Map<string, number>) =>
    [...m]
      .filter(([name]) => !name.startsWith('(idle)') && !name.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => `${ms.toFixed(0)} ms  ${name}`);
  return {
    windowMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyMs),
    topSelf: ranked(self),
    topInclusive: ranked(inclusive),
  };
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
}
