/**
 * Every way out of `fledge run` that can still run code restores the baseline (docs/OPERATIONS.md,
 * "Interrupting fledge run"): the first SIGINT, SIGTERM or SIGHUP, a closed stdout or stderr (EPIPE, EIO:
 * a `| head`, a terminal or SSH session gone), an uncaught exception or an unhandled rejection each stop
 * the rollout; the runner waits for the Task in flight and restores the baseline, and the run exits 1
 * saying why. A closed stream is written to no more. A second signal exits at once, leaving traffic as it
 * is, and says what the target holds, read from AWS, not what the run last set.
 * During `fledge start --wait` it stops following a deployed rollout, which goes on (trapFollowing).
 */
import type { TrafficRouter } from '../../shared/core/ports';
import type { Target } from '../../shared/core/schema';

/** The signals that stop a local run: Ctrl-C, `kill`, and a closed terminal or SSH session. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Interruptions {
  /** Aborted on the first signal, closed stream or uncaught error, with what happened as its reason. */
  signal: AbortSignal;
  /** Stops the rollout for a reason of the caller's (as a first signal would), saying so. */
  stop(reason: string): void;
  /** Prints the run's result line: on stdout, or on stderr once stdout is closed. */
  result(line: string): void;
  release(): void;
}

/** What the target holds now, read from AWS, for the second signal's last line. */
export interface TargetReading {
  summary: string;
  /** Whether traffic is split (the baseline does not hold it all). */
  split: boolean;
}

export interface TrapOptions {
  /**
   * Called on the second signal, before the target is read: no traffic write may start after it, and
   * the reading waits for what it returns (the writes already sent).
   */
  onExitNow?: () => Promise<void> | void;
  /** Reads the target's live split (the router's inspect). */
  readTarget?: () => Promise<TargetReading>;
  print?: (line: string) => void;
  /** How long the second signal waits for the target's reading before exiting without it. */
  readTimeoutMs?: number;
}

export function trapSignals(recoverCommand: string, options: TrapOptions = {}): Interruptions {
  const controller = new AbortController();
  const closed = new Set<NodeJS.WriteStream>();
  const print = options.print ?? ((line: string) => writeLine(process.stderr, line, closed));
  let signals = 0;
  const stop = (reason: string, announcement: string) => {
    if (controller.signal.aborted) return;
    print(`\nfledge: ${announcement}: stopping the rollout and restoring the baseline`);
    controller.abort(reason);
  };
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      const stopping = controller.signal.aborted
        ? `already stopping (${String(controller.signal.reason)}), restoring the baseline`
        : 'stopping the rollout and restoring the baseline';
      print(`\nfledge: ${name}: ${stopping} (again to exit at once, leaving traffic as it is)`);
      controller.abort(`interrupted (${name})`);
      return;
    }
    if (signals > 2) process.exit(1);
    void exitLeavingTraffic(name, recoverCommand, options, print);
  };
  const onStreamError = (stream: NodeJS.WriteStream, name: string) => (error: NodeJS.ErrnoException) => {
    if (closed.has(stream)) return;
    closed.add(stream);
    silence(stream);
    const code = error.code ?? error.name;
    stop(`${name} closed (${code})`, `${name} closed (${code})`);
  };
  const onError = (kind: string) => (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (controller.signal.aborted) {
      // Restoring the baseline is under way: exiting now would leave traffic split.
      print(`fledge: ${kind} while stopping (${message}); still restoring the baseline`);
      return;
    }
    stop(`${kind} (${message})`, `${kind}: ${message}`);
  };
  const onStdout = onStreamError(process.stdout, 'stdout');
  const onStderr = onStreamError(process.stderr, 'stderr');
  const onException = onError('uncaught exception');
  const onRejection = onError('unhandled rejection');
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  process.stdout.on('error', onStdout);
  process.stderr.on('error', onStderr);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    signal: controller.signal,
    stop(reason) {
      if (controller.signal.aborted) return;
      print(`\nfledge: ${reason}: stopping the rollout, writing no traffic`);
      controller.abort(reason);
    },
    result(line) {
      writeLine(closed.has(process.stdout) ? process.stderr : process.stdout, line, closed);
    },
    release() {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
      // The stream listeners stay: a write to a closed stream after the run must not crash the exit.
    },
  };
}

/**
 * The second signal: exit now, leaving traffic as it is, after saying what the target holds. The
 * reading is AWS's, with a time limit; without it the line says that it could not be read.
 */
async function exitLeavingTraffic(
  name: NodeJS.Signals,
  recoverCommand: string,
  options: TrapOptions,
  print: (line: string) => void,
): Promise<never> {
  const limit = options.readTimeoutMs ?? 5_000;
  await withTimeout(Promise.resolve(options.onExitNow?.()), limit).catch(() => undefined);
  const reading = options.readTarget
    ? await withTimeout(options.readTarget(), limit).catch(
        (error: unknown) => `could not read the target (${error instanceof Error ? error.message : error})`,
      )
    : 'the target was not read';
  const now =
    typeof reading === 'string'
      ? `${reading}. If traffic is split, restore the baseline with: ${recoverCommand}`
      : reading.split
        ? `the target holds ${reading.summary}. To restore the baseline: ${recoverCommand}`
        : `the target holds ${reading.summary}: nothing to restore`;
  print(`fledge: ${name} again: exiting now, leaving traffic as it is; ${now}`);
  process.exit(1);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000}s`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Writes one line, unless the stream is closed. */
function writeLine(stream: NodeJS.WriteStream, line: string, closed: ReadonlySet<NodeJS.WriteStream>): void {
  if (!closed.has(stream)) stream.write(`${line}\n`);
}

/** A closed stream takes no more writes: each would fail again (and console.log would not say so). */
function silence(stream: NodeJS.WriteStream): void {
  stream.write = (() => true) as typeof stream.write;
}

/** The exit code of a command a signal stopped (128 + SIGINT, as a shell reports it). */
export const INTERRUPTED_EXIT = 130;

/**
 * Ctrl-C (or SIGTERM) while `fledge start --wait` follows a deployed execution: this process only
 * watches, so it stops following and leaves the rollout to run on in Step Functions, and says so, with
 * how to follow or stop it. Returns the function that releases the trap.
 */
export function trapFollowing(
  executionArn: string,
  deployment: string,
  json: boolean,
  print: (line: string) => void = console.error,
): () => void {
  const onSignal = (name: NodeJS.Signals) => {
    const reason =
      `${name}: stopped following; the rollout goes on in ${executionArn}, nothing was stopped or rolled back. ` +
      `\`fledge status ${executionArn}${deployment} --watch\` follows it, \`fledge abort ${executionArn}${deployment} --reason "…"\` rolls it back`;
    if (json) console.log(JSON.stringify({ outcome: 'detached', reason, executionArn }));
    else print(`\nfledge: ${reason}`);
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * The routers of a run whose traffic writes stop once `frozen()` says so: after a second signal, the
 * recovery the first one started must not write while the process reads the target and exits. A write
 * already sent cannot be called back: `settled` waits for those, so the reading that follows is the truth.
 */
export function freezableRouters(
  router: (target: Target) => TrafficRouter,
  frozen: () => boolean,
): { router: (target: Target) => TrafficRouter; settled: () => Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  const guard =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (frozen()) throw new Error('fledge is exiting on a second signal: traffic is left as it is');
      const sent = write(...args);
      inFlight.add(sent);
      const done = () => inFlight.delete(sent);
      sent.then(done, done);
      return sent;
    };
  return {
    router: (target) => {
      const inner = router(target);
      return {
        ...inner,
        inspect: () => inner.inspect(),
        prepare: (...args) => inner.prepare(...args),
        setWeight: guard((weight, context) => inner.setWeight(weight, context)),
        promote: guard((context) => inner.promote(context)),
        rollback: guard((context) => inner.rollback(context)),
        // A class's methods are not own properties, so the spread above drops them: the canary's
        // capacity (not traffic) passes through as the inner router has it.
        ...(inner.provision ? { provision: inner.provision.bind(inner) } : {}),
        ...(inner.unprovision ? { unprovision: inner.unprovision.bind(inner) } : {}),
      };
    },
    settled: async () => {
      await Promise.allSettled([...inFlight]);
    },
  };
}
