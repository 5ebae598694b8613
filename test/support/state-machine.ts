import type { Template } from 'aws-cdk-lib/assertions';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

export const ACCOUNT = '111111111111';
export const REGION = 'ap-northeast-2';
export const LOCAL_TASK_TOKEN = 'local-task-token';

/** Replaces CloudFormation intrinsics in a definition with placeholder values, so it can be parsed. */
function placeholder(part: unknown): string {
  if (typeof part === 'string') return part;
  const p = part as Record<string, unknown>;
  if ('Ref' in p) {
    const ref = p.Ref as string;
    return (
      { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' }[
        ref
      ] ?? ref
    );
  }
  if ('Fn::GetAtt' in p) {
    const [logicalId] = p['Fn::GetAtt'] as [string, string];
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
  }
  throw new Error(`Unexpected intrinsic in a state machine definition: ${JSON.stringify(part)}`);
}

/** The ASL definition of the (only) state machine whose logical id starts with `prefix`, from a synthesized template. */
export function definitionFrom(template: Template, prefix: string): StateMachineDefinition {
  const machines = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) =>
    id.startsWith(prefix),
  );
  if (machines.length !== 1) throw new Error(`Expected one state machine ${prefix}*, found ${machines.length}`);
  const body = machines[0]![1].Properties.DefinitionString;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map(placeholder).join('');
  return JSON.parse(text) as StateMachineDefinition;
}

export interface ExecutionOptions {
  executionName: string;
  startTime: string;
  stateMachineName: string;
  handlers: Record<string, (input: unknown) => Promise<unknown>>;
  /** Every Wait state of the definition, in milliseconds (default 0). */
  waitMs?: number;
  /** Every retry interval, in milliseconds (default 0). */
  retryMs?: number;
}

export interface StateVisit {
  name: string;
  input: unknown;
  output?: unknown;
}

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  output?: unknown;
  /** States entered, in order. */
  states: string[];
  visits: StateVisit[];
  retries: string[];
  executionArn: string;
}

/** Runs a definition locally, every Task bound to a handler, waits and retries shortened. */
export async function runExecution(
  definition: StateMachineDefinition,
  input: unknown,
  opts: ExecutionOptions,
): Promise<ExecutionResult> {
  const states = definition.States;
  const waits = Object.fromEntries(
    Object.entries(states)
      .filter(([, s]) => s.Type === 'Wait')
      .map(([name]) => [name, opts.waitMs ?? 0]),
  );
  const retries = Object.fromEntries(
    Object.entries(states)
      .filter(([, s]) => 'Retry' in s)
      .map(([name]) => [name, opts.retryMs ?? 0]),
  );
  const tasks = Object.keys(states).filter((name) => states[name]!.Type === 'Task');
  const missing = tasks.filter((t) => !(t in opts.handlers));
  if (missing.length > 0) throw new Error(`No local handler for task state(s): ${missing.join(', ')}`);

  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${opts.stateMachineName}:${opts.executionName}`;
  const runOptions: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: opts.handlers as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
    context: {
      Execution: { Id: executionArn, Name: opts.executionName, StartTime: opts.startTime, Input: input as never },
      StateMachine: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${opts.stateMachineName}`,
        Name: opts.stateMachineName,
      },
      // What `$$.Task.Token` gives a waitForTaskToken task (its local handler answers in place of SendTaskSuccess).
      Task: { Token: LOCAL_TASK_TOKEN },
    },
  };
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
  const execution = machine.run(input as never, runOptions);
  const result: ExecutionResult = { status: 'FAILED', states: [], visits: [], retries: [], executionArn };
  const visiting = new Map<string, StateVisit>();
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') {
      result.states.push(event.state.name);
      const visit = { name: event.state.name, input: event.state.input };
      result.visits.push(visit);
      visiting.set(event.state.name, visit);
    } else if (event.type === 'StateExited') {
      const visit = visiting.get(event.state.name);
      if (visit) visit.output = event.state.output;
    } else if (event.type === 'StateRetried') {
      result.retries.push(event.state.name);
    } else if (event.type === 'ExecutionSucceeded') {
      result.status = 'SUCCEEDED';
      result.output = event.output;
    } else if (event.type === 'ExecutionFailed') {
      result.status = 'FAILED';
      result.error = event.Error;
      result.cause = String(event.Cause);
    }
  }
  await execution.result.catch(() => undefined);
  return result;
}
