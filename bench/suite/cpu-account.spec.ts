import { CpuReaders, startCpuAccount } from './cpu-account';

/** Readers that return the next of each sequence per call. */
function readers(machineUs: number[], processMs: Record<string, number>[]): CpuReaders {
  let m = 0;
  let p = 0;
  return { machineUs: () => machineUs[m++], processMs: () => processMs[p++] };
}

describe('startCpuAccount', () => {
  const processes = [
    { name: 'broker', pid: 10 },
    { name: 'redis', pid: 11 },
  ];

  it('divides what the machine and each process spent by the events, us each', () => {
    const account = startCpuAccount(
      processes,
      readers(
        [1_000_000, 1_600_000],
        [
          { broker: 100, redis: 50 },
          { broker: 400, redis: 80 },
        ],
      ),
    );
    expect(account.perEvent(1_000)).toEqual({ machine: 600, broker: 300, redis: 30 });
  });

  it('leaves out a process not measured at both ends, and has nothing for no event', () => {
    const account = startCpuAccount(processes, readers([0, 1_000], [{ broker: 1 }, { broker: 2, redis: 5 }]));
    expect(account.perEvent(10)).toEqual({ machine: 100, broker: 100 });
    expect(startCpuAccount(processes, readers([0], [{}])).perEvent(0)).toBeNull();
  });

  it('reads this machine and this process for real', () => {
    const account = startCpuAccount([{ name: 'self', pid: process.pid }]);
    const until = Date.now() + 60;
    let spin = 0;
    while (Date.now() < until) spin++;
    const perEvent = account.perEvent(1);
    expect(spin).toBeGreaterThan(0);
    // 60 ms of spinning: /proc counts in 10 ms ticks
    expect(perEvent?.self).toBeGreaterThanOrEqual(30_000);
    expect(perEvent?.machine).toBeGreaterThanOrEqual((perEvent?.self ?? 0) - 20_000);
  });
});
