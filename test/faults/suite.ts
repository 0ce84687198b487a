/** The fault-injection suite of one target (test/faults/*.test.ts): discovery, then 7 faults × 2 modes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRolloutTable } from '../../local/fixtures';
import { type Moto, startMoto, useEndpoint } from '../../local/moto';
import { type CallSite, FAULTS } from '../support/fault-proxy';
import {
  casesFor,
  Matrix,
  TABLE,
  type Tally,
  type TargetWorld,
  tally,
  violations,
  writeTallies,
} from './matrix';

// Many faults only wait (timeouts, hangs): more lanes than cores keep the wall time down.
const LANES = 10;

/**
 * `extra`: the world's own states and the calls they must be seen making, beside every target's; `only`,
 * the states whose call sites get faults (all by default), for a world that differs from another's
 * only in some states.
 */
export function faultSuite(
  name: string,
  world: TargetWorld,
  trafficOp: string,
  extra: { states: string[]; ops: string[]; only?: string[]; planWrite?: string } = {
    states: [],
    ops: [],
  },
): void {
  let moto: Moto;
  let matrix: Matrix;
  let sites: Record<'healthy' | 'faulty', CallSite[]>;
  const tallies: Tally[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    useEndpoint(moto.endpoint);
    await createRolloutTable(TABLE);
    matrix = new Matrix(world, moto.endpoint, LANES);
    await matrix.start();
    sites = await matrix.discover();
  }, 120_000);

  afterAll(async () => {
    writeTallies(name, tallies);
    await matrix?.stop();
    await moto?.stop();
  });

  describe(`fault injection: ${name}`, () => {
    it('finds the calls of every state, traffic writes included', () => {
      const all = [...sites.healthy, ...sites.faulty];
      const states = new Set(all.map((s) => s.state));
      const ops = all.map((s) => `${s.state} ${s.op}`);

      expect([...states].sort()).toEqual(
        ['Evaluate', 'Plan', 'Promote', 'Rollback', 'SetWeight', ...extra.states].sort(),
      );
      for (const op of extra.ops) expect(ops).toContain(op);
      for (const state of ['SetWeight', 'Promote', 'Rollback'])
        expect(ops, state).toContain(`${state} ${trafficOp}`);
      expect(ops).toContain('Evaluate cloudwatch:GetMetricData');
      expect(ops).toContain('Evaluate cloudwatch:DescribeAlarms');
      expect(ops).toContain('SetWeight dynamodb:UpdateItem');
      // A rollout takes its record with PutItem; a release takes all of them in one transaction.
      expect(ops).toContain(`Plan ${extra.planWrite ?? 'dynamodb:PutItem'}`);
    });

    for (const mode of ['once', 'every'] as const) {
      for (const fault of FAULTS) {
        const promise = mode === 'once' && fault !== 'denied' ? ', healthy releases still promoted' : '';
        const what = mode === 'once' ? 'once at each call site' : 'on every attempt of each call';
        it(`${fault}, ${what}: never left split or held, no false conflict${promise}`, async () => {
          const cases = casesFor(sites, fault, mode).filter(
            (c) => !extra.only || extra.only.includes(c.rule.state),
          );
          expect(cases.length).toBeGreaterThan(10);
          const results = await matrix.runAll(cases);
          tallies.push(tally(name, fault, mode, results));

          expect(results.flatMap(violations)).toEqual([]);
          expect(results).toHaveLength(cases.length);
          // Every case must have met its fault, or it proved nothing.
          const missed = results.filter((r) => r.injected === 0);
          expect(
            missed.map(
              (r) =>
                `${r.rule?.state} ${r.rule?.op} #${r.rule?.nth ?? '*'}: ${r.run.status} ${r.run.error ?? ''} ${r.run.cause ?? ''}`,
            ),
          ).toEqual([]);
        }, 900_000);
      }
    }
  });
}
