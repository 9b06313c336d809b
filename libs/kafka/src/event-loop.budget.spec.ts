import { EventLoopBudget } from './event-loop.budget';

/** Whether a macrotask queued now ran before `work` resolved. */
async function loopTurnedDuring(work: () => Promise<void>): Promise<boolean> {
  let turned = false;
  setImmediate(() => (turned = true));
  await work();
  return turned;
}

describe('EventLoopBudget', () => {
  it('runs work under the budget back to back, then lets the loop turn once it is spent', async () => {
    const budget = new EventLoopBudget(10);
    expect(await loopTurnedDuring(() => budget.spend(4))).toBe(false);
    expect(await loopTurnedDuring(() => budget.spend(4))).toBe(false);
    expect(await loopTurnedDuring(() => budget.spend(4))).toBe(true); // 12 ms back to back
  });

  it('starts counting again after a turn', async () => {
    const budget = new EventLoopBudget(10);
    expect(await loopTurnedDuring(() => budget.spend(25))).toBe(true);
    expect(await loopTurnedDuring(() => budget.spend(9))).toBe(false);
    expect(await loopTurnedDuring(() => budget.spend(1))).toBe(true);
  });
});
