import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { describeExecution } from '../aws.js';
import {
  type CliDeps,
  type Environment,
  EXIT,
  type ExecutionArn,
  type ExitCode,
  print,
  settingsOf,
  type WorkflowKind,
} from '../context.js';
import { clip, elapsedLine } from '../format.js';
import { type ExecutionResult, executionResult, resultLines } from '../results.js';
import { bothZones } from '../time.js';

/** 0 while running or after success, 1 after FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE). */
export function statusExitCode(status: string | undefined): ExitCode {
  return status === 'SUCCEEDED' || status === 'RUNNING' ? EXIT.ok : EXIT.failed;
}

export function elapsedMs(execution: DescribeExecutionCommandOutput, now: Date): number {
  const start = execution.startDate?.getTime() ?? now.getTime();
  return (execution.stopDate ?? now).getTime() - start;
}

export function workflowOf(execution: ExecutionArn): WorkflowKind {
  if (execution.stateMachine.endsWith('-restore')) return 'restore';
  if (execution.stateMachine.endsWith('-failover')) return 'failover';
  if (execution.stateMachine.endsWith('-dr-region-drill')) return 'dr-region-drill';
  return execution.stateMachine.endsWith('-rewind') ? 'rewind' : 'drill';
}

/** What a finished execution produced; undefined while it runs. */
export function resultOf(
  env: Environment,
  execution: ExecutionArn,
  described: DescribeExecutionCommandOutput,
): ExecutionResult | undefined {
  if (described.status === 'RUNNING') return undefined;
  return executionResult(env, {
    kind: workflowOf(execution),
    name: execution.name,
    startDate: described.startDate,
    output: described.output,
  });
}

/** The `--output json` document of an execution (status, and the end of watch). */
export function executionDocument(
  env: Environment,
  execution: ExecutionArn,
  described: DescribeExecutionCommandOutput,
  now: Date,
) {
  return {
    environment: env.name,
    execution: execution.arn,
    name: execution.name,
    workflow: workflowOf(execution),
    status: described.status ?? 'UNKNOWN',
    startedAt: described.startDate?.toISOString(),
    stoppedAt: described.stopDate?.toISOString(),
    elapsedSeconds: Math.round(elapsedMs(described, now) / 1000),
    rtoTargetSeconds: env.config.targets.rtoMinutes * 60,
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
    ...(described.status !== 'RUNNING' ? { result: resultOf(env, execution, described) } : {}),
  };
}

/** Prints one execution (text or `--output json`); the exit code follows its status. */
export async function printStatus(deps: CliDeps, env: Environment, execution: ExecutionArn): Promise<ExitCode> {
  const described = await describeExecution(deps, env, execution);
  if (settingsOf(deps).output === 'json') {
    print(deps, JSON.stringify(executionDocument(env, execution, described, deps.now()), null, 2));
    return statusExitCode(described.status);
  }
  const rows: [string, string][] = [
    ['Execution', execution.arn],
    ['State machine', execution.stateMachine],
    ['Status', described.status ?? 'UNKNOWN'],
    ['Started', bothZones(described.startDate)],
    ['Stopped', bothZones(described.stopDate)],
    ['Elapsed', elapsedLine(elapsedMs(described, deps.now()), env.config.targets.rtoMinutes)],
  ];
  if (described.error) rows.push(['Error', described.error]);
  if (described.cause) rows.push(['Cause', clip(described.cause, 1000)]);
  for (const [label, value] of rows) print(deps, `${`${label}:`.padEnd(15)}${value}`);
  const result = resultOf(env, execution, described);
  if (result) {
    print(deps, 'Result:');
    for (const line of resultLines(result)) print(deps, `  ${line}`);
  }
  return statusExitCode(described.status);
}
