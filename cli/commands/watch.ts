import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { observe, reattachCommand } from '../aws.js';
import { type CliDeps, type Environment, EXIT, type ExecutionArn, type ExitCode, settingsOf } from '../context.js';
import { clip, currentState, elapsedLine, eventDetails, formatDuration, formatMinutes, isoSeconds } from '../format.js';
import { resultLines } from '../results.js';
import { elapsedMs, executionDocument, resultOf } from './status.js';

/** Events asked for per poll (newest first), and how many of them the display shows. */
const HISTORY_PAGE = 20;
const SHOWN_EVENTS = 5;
/** Without a TTY, the status line is repeated at least this often even when nothing changed. */
const HEARTBEAT_MS = 60_000;
const TTY_WIDTH = 160;

/** Remembers each event's state (StateEntered's name, inherited along previousEventId) across polls. */
class EventLog {
  private readonly stateOf = new Map<number, string>();
  lastSeenId = 0;

  learn(events: readonly HistoryEvent[]): void {
    for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      const id = event.id ?? 0;
      const { name } = eventDetails(event);
      if (name !== undefined && event.type?.endsWith('StateEntered')) this.stateOf.set(id, name);
      else if (name !== undefined && event.type?.endsWith('StateExited')) this.stateOf.set(id, name);
      else if (!event.type?.startsWith('Execution') && event.previousEventId !== undefined) {
        const inherited = this.stateOf.get(event.previousEventId);
        if (inherited !== undefined) this.stateOf.set(id, inherited);
      }
    }
  }

  /** `2026-11-25T18:05:12Z  TaskStateEntered  Preflight`; only names and error names, never payloads. */
  describe(event: HistoryEvent): string {
    const { name, error } = eventDetails(event);
    const state = name ?? this.stateOf.get(event.id ?? 0);
    const parts = [isoSeconds(event.timestamp), event.type ?? 'Unknown'];
    if (state !== undefined) parts.push(state);
    if (error !== undefined) parts.push(`error ${error}`);
    return parts.join('  ');
  }
}

function summary(described: DescribeExecutionCommandOutput, elapsed: number, rtoMinutes: number): string[] {
  const target = formatMinutes(rtoMinutes);
  const over = elapsed - rtoMinutes * 60_000;
  if (described.status === 'SUCCEEDED') {
    const verdict =
      over > 0 ? `over the RTO target ${target} by ${formatDuration(over)}` : `within the RTO target ${target}`;
    return [`SUCCEEDED in ${formatDuration(elapsed)}, ${verdict}`];
  }
  const lines = [`${described.status ?? 'UNKNOWN'} after ${formatDuration(elapsed)}`];
  if (described.error) lines.push(`Error: ${described.error}`);
  if (described.cause) lines.push(`Cause: ${clip(described.cause, 1000)}`);
  return lines;
}

/**
 * Polls DescribeExecution and the newest history events until the execution ends: current state, elapsed time
 * against the RTO target, last events; at the end, what the execution produced. On a TTY the block is redrawn in
 * place; otherwise only changes are printed, line by line (with `--output json`, progress goes to stderr and the
 * final document to stdout). Exit 0 if the execution SUCCEEDED, 1 if it did not, 3 if the CLI lost sight of it
 * (credentials, network, throttling; the re-attach command is printed, as on Ctrl-C).
 */
export async function watchExecution(
  deps: CliDeps,
  env: Environment,
  execution: ExecutionArn,
  intervalSeconds: number,
): Promise<ExitCode> {
  const reattach = reattachCommand(env, execution);
  const stop = deps.onInterrupt?.(() => {
    deps.err(`\nStopped watching; the execution keeps running. Re-attach with:\n  ${reattach}\n`);
  });
  try {
    return await poll(deps, env, execution, intervalSeconds, reattach);
  } finally {
    stop?.();
  }
}

async function poll(
  deps: CliDeps,
  env: Environment,
  execution: ExecutionArn,
  intervalSeconds: number,
  reattach: string,
): Promise<ExitCode> {
  const client = deps.sfn(env.region);
  const json = settingsOf(deps).output === 'json';
  // With --output json, stdout carries only the final document.
  const print = (_deps: CliDeps, text = '') => (json ? deps.err : deps.out)(`${text}\n`);
  const rto = env.config.targets.rtoMinutes;
  const log = new EventLog();
  let state: string | undefined;
  let lastKey = '';
  let lastPrintedAt = Number.NEGATIVE_INFINITY;
  let drawn = 0;
  if (!deps.tty) print(deps, `Watching ${execution.stateMachine} ${execution.name} (RTO target ${formatMinutes(rto)})`);

  for (;;) {
    const described = await observe(
      env,
      `describe execution ${execution.name}`,
      () => client.send(new DescribeExecutionCommand({ executionArn: execution.arn })),
      reattach,
    );
    const history = await observe(
      env,
      `read the history of ${execution.name}`,
      () =>
        client.send(
          new GetExecutionHistoryCommand({
            executionArn: execution.arn,
            reverseOrder: true,
            maxResults: HISTORY_PAGE,
            includeExecutionData: false,
          }),
        ),
      reattach,
    );
    const events = [...(history.events ?? [])].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    log.learn(events);
    state = currentState(events) ?? state;
    const now = deps.now();
    const elapsed = elapsedMs(described, now);
    const status = described.status ?? 'UNKNOWN';
    const statusLine = `${status}  state ${state ?? '-'}  ${elapsedLine(elapsed, rto)}`;
    const ended = status !== 'RUNNING';

    if (deps.tty && !json) {
      const lines = [
        `${execution.stateMachine}  ${execution.name}`,
        statusLine,
        'Last events:',
        ...events.slice(-SHOWN_EVENTS).map((event) => `  ${log.describe(event)}`),
      ].map((line) => (line.length > TTY_WIDTH ? `${line.slice(0, TTY_WIDTH - 1)}…` : line));
      deps.out(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
      drawn = lines.length;
    } else {
      const fresh = events.filter((event) => (event.id ?? 0) > log.lastSeenId);
      const shown = log.lastSeenId === 0 ? fresh.slice(-SHOWN_EVENTS) : fresh;
      const skipped = (shown[0]?.id ?? 0) - log.lastSeenId - 1;
      if (shown.length > 0 && skipped > 0) print(deps, `  … ${skipped} earlier event(s) not shown`);
      for (const event of shown) print(deps, `  ${log.describe(event)}`);
      const key = `${status}|${state}|${elapsed > rto * 60_000}`;
      if (key !== lastKey || now.getTime() - lastPrintedAt >= HEARTBEAT_MS) {
        print(deps, statusLine);
        lastKey = key;
        lastPrintedAt = now.getTime();
      }
    }
    const newest = events.at(-1)?.id;
    if (newest !== undefined && newest > log.lastSeenId) log.lastSeenId = newest;

    if (ended) {
      for (const line of summary(described, elapsed, rto)) print(deps, line);
      if (json) {
        deps.out(`${JSON.stringify(executionDocument(env, execution, described, now), null, 2)}\n`);
      } else {
        const result = resultOf(env, execution, described);
        if (result) for (const line of resultLines(result)) print(deps, line);
      }
      return status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
    }
    await deps.sleep(intervalSeconds * 1000);
  }
}
