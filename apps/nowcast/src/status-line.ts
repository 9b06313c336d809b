import { NowcastStatus } from './nowcast.runtime';

/** Renders the refreshing status: rates are deltas over the interval (per second). */
export class StatusLine {
  private last: { events: number; feedRequests: number; at: number } | null = null;

  constructor(
    private readonly read: () => NowcastStatus,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /** One refresh: rewrites the line on a TTY, else prints a log line. */
  tick(now = Date.now()): string {
    const status = this.read();
    const seconds = this.last ? Math.max(0.001, (now - this.last.at) / 1000) : 0;
    const rate = (value: number, previous: number | undefined): string =>
      seconds > 0 && previous !== undefined ? ((value - previous) / seconds).toFixed(0) : '-';
    const latency = status.latency ? `${status.latency.p50} / ${status.latency.p99} ms` : '- / - ms';
    const line =
      `events/s ${rate(status.events, this.last?.events)}  live streams ${status.liveStreams}  ` +
      `data latency p50/p99 ${latency}  feed requests/s ${rate(status.feedRequests, this.last?.feedRequests)}`;
    this.last = { events: status.events, feedRequests: status.feedRequests, at: now };
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`[nowcast] ${line}\n`);
    return line;
  }
}
