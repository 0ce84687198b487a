/** The second signal of `fledge run` says what the target holds, as read, not what the run last set. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { trapSignals } from '../../cli/local/signals';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Resolves once `process.exit` has been called, with its code. */
function exitCalled(): Promise<number | undefined> {
  return new Promise((resolve) => {
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      resolve(code);
      return undefined as never;
    }) as typeof process.exit);
  });
}

describe('a second signal during fledge run', () => {
  it('reads the target and says the baseline holds it when the first signal had restored it', async () => {
    // Prepare
    const lines: string[] = [];
    const exited = exitCalled();
    let frozen = false;
    const trap = trapSignals('npx fledge recover --input in.json', {
      print: (line) => lines.push(line),
      onExitNow: () => {
        frozen = true;
      },
      readTarget: async () => ({ summary: 'alias live: all traffic on version 1', split: false }),
    });

    // Act
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    const code = await exited;
    trap.release();

    // Assess
    expect(trap.signal.aborted).toBe(true);
    expect(frozen).toBe(true);
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe(
      'fledge: SIGINT again: exiting now, leaving traffic as it is; the target holds alias live: all traffic on version 1: nothing to restore',
    );
  });

  it('says it could not read the target, rather than guess, when the reading fails', async () => {
    const lines: string[] = [];
    const exited = exitCalled();
    const trap = trapSignals('npx fledge recover --input in.json', {
      print: (line) => lines.push(line),
      readTarget: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });

    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    await exited;
    trap.release();

    expect(lines.at(-1)).toBe(
      'fledge: SIGTERM again: exiting now, leaving traffic as it is; could not read the target (connect ECONNREFUSED). If traffic is split, restore the baseline with: npx fledge recover --input in.json',
    );
  });
});
