import { appendFileSync } from 'node:fs';

/**
 * Records a measured duration (time to 503, time to recover) in the file named by FAULT_TIMINGS, when set, so that a
 * run can report its numbers; tests assert their bounds either way.
 */
export function noteTiming(label: string, value: number, unit = 'ms'): void {
  const file = process.env['FAULT_TIMINGS'];
  if (file) appendFileSync(file, `${label}\t${Math.round(value * 10) / 10} ${unit}\n`);
}
