import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { type CliDeps, EXIT, type ExitCode, parseExecutionArn, print, resolveEnvironment } from '../context.js';
import { clip, elapsedLine, isoSeconds } from '../format.js';
import { envOption } from '../options.js';

/** 0 while running or after success, 1 after FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE). */
export function statusExitCode(status: string | undefined): ExitCode {
  return status === 'SUCCEEDED' || status === 'RUNNING' ? EXIT.ok : EXIT.failed;
}

export function elapsedMs(execution: DescribeExecutionCommandOutput, now: Date): number {
  const start = execution.startDate?.getTime() ?? now.getTime();
  return (execution.stopDate ?? now).getTime() - start;
}

export function registerStatus(program: Command, deps: CliDeps, done: (action: Promise<ExitCode>) => Promise<void>) {
  const status = program
    .command('status')
    .description('show an execution: status, start/stop, elapsed against the RTO target, error when it failed')
    .argument('<execution>', 'execution ARN (printed by drill start / restore start)');
  envOption(status, deps).action((arn: string, flags: { env: string }) =>
    done(
      (async () => {
        const env = resolveEnvironment(deps, flags.env);
        const execution = parseExecutionArn(env, arn);
        const client = deps.sfn(env.config.primaryRegion);
        const described = await client.send(new DescribeExecutionCommand({ executionArn: execution.arn }));
        const rows: [string, string][] = [
          ['Execution', execution.arn],
          ['State machine', execution.stateMachine],
          ['Status', described.status ?? 'UNKNOWN'],
          ['Started', isoSeconds(described.startDate)],
          ['Stopped', isoSeconds(described.stopDate)],
          ['Elapsed', elapsedLine(elapsedMs(described, deps.now()), env.config.targets.rtoMinutes)],
        ];
        if (described.error) rows.push(['Error', described.error]);
        if (described.cause) rows.push(['Cause', clip(described.cause, 1000)]);
        for (const [label, value] of rows) print(deps, `${`${label}:`.padEnd(15)}${value}`);
        return statusExitCode(described.status);
      })(),
    ),
  );
}
