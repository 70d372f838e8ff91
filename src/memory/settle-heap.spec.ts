import { runInNewContext } from 'node:vm';
import { settleHeap } from './settle-heap';

describe('settleHeap', () => {
  it('collects without leaving the collector exposed to later contexts or the global scope', () => {
    settleHeap();

    expect(runInNewContext('typeof gc')).toBe('undefined');
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
