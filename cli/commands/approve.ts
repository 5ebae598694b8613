import { randomBytes } from 'node:crypto';
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { z } from 'zod';
import { type ProofKind, proofPurpose } from '../../contract/identity-proof.js';
import { describeExecution, executionArnOf, findExecution, observe, reattachCommand } from '../aws.js';
import { type CliDeps, type Environment, EXIT, type ExitCode, resolveEnvironment, UsageError } from '../context.js';
import type { Done } from '../env-command.js';
import { createIdentityProof } from '../identity-proof.js';
import { envOption } from '../options.js';

/** The state that waits for a second person (lib/constructs/restore-workflow/approval.ts). */
const APPROVAL_STATE = 'RequestApproval';
/** Pages of history read back from the newest event while looking for the waiting approval (100 events a page). */
const MAX_HISTORY_PAGES = 5;

const scheduledSchema = z.object({ Payload: z.object({ taskToken: z.string().min(1) }).loose() }).loose();

/** A proof that the caller of this command is who its credentials say, bound to one act on one execution. */
export async function identityProofFor(
  deps: CliDeps,
  env: Environment,
  kind: ProofKind,
  executionArn: string,
): Promise<string> {
  const credentials = await observe(env, 'resolve AWS credentials', () => deps.sfn(env.region).config.credentials());
  return createIdentityProof(credentials, env.region, proofPurpose(kind, executionArn), deps.now());
}

/** The workflows whose cutover a second person approves (both hand over to the restore's cutover). */
export type ApprovedWorkflow = 'restore' | 'rewind';

/** What a rejected or timed-out approval leaves in place, by workflow. */
const KEPT: Record<ApprovedWorkflow, string> = {
  restore: 'the restored instance stays',
  rewind: 'production is unchanged, the promoted replica stays',
};

/**
 * A cutover that a second person must approve is started with a proof of who starts it, bound to the execution: the
 * execution's name is therefore fixed before the start (generated when --name is not given).
 */
export async function withStarterProof<T extends { cutover?: object }>(
  deps: CliDeps,
  env: Environment,
  input: T,
  name: string | undefined,
  workflow: ApprovedWorkflow = 'restore',
): Promise<{ input: T; name: string | undefined }> {
  if (!input.cutover || !env.config.cutover.requireApproval) return { input, name };
  const fixed =
    name ?? `${workflow}-${deps.now().toISOString().slice(0, 19).replace(/\D/g, '')}-${randomBytes(4).toString('hex')}`;
  const identityProof = await identityProofFor(deps, env, 'start', executionArnOf(env, workflow, fixed).arn);
  return { input: { ...input, cutover: { ...input.cutover, identityProof } }, name: fixed };
}

/**
 * The task token of the approval the execution waits for, from its history (never printed): the newest state
 * entered must be RequestApproval, and its task scheduled and not yet answered.
 */
async function waitingApproval(client: SFNClient, executionArn: string): Promise<{ token?: string; at: string }> {
  let nextToken: string | undefined;
  let scheduled: HistoryEvent | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const out = await client.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken }),
    );
    for (const event of out.events ?? []) {
      if (event.type === 'TaskScheduled' && !scheduled) scheduled = event;
      if (event.type === 'TaskSucceeded' || event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
        if (!scheduled) return { at: 'a task that just ended' };
      }
      const entered = event.type?.endsWith('StateEntered') ? event.stateEnteredEventDetails?.name : undefined;
      const exited = event.type?.endsWith('StateExited') ? event.stateExitedEventDetails?.name : undefined;
      if (exited) return { at: `after ${exited}` };
      if (entered) {
        if (entered !== APPROVAL_STATE || !scheduled) return { at: entered };
        const parsed = scheduledSchema.safeParse(JSON.parse(scheduled.taskScheduledEventDetails?.parameters ?? '{}'));
        return parsed.success ? { token: parsed.data.Payload.taskToken, at: entered } : { at: entered };
      }
    }
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return { at: 'unknown (no state in the recent history)' };
}

interface ApproveFlags {
  env: string;
  execution: string;
  reject?: boolean;
  reason?: string;
}

/**
 * The second person's answer to a cutover waiting in RequestApproval: of a restore or of a rewind execution (`restore
 * approve` and `rewind approve` are the same command). The workflow checks who answers; this command only sends.
 */
export async function approveRestore(deps: CliDeps, flags: ApproveFlags): Promise<ExitCode> {
  const env = resolveEnvironment(deps, flags.env);
  const execution = await findExecution(deps, env, flags.execution);
  const workflow = (['restore', 'rewind'] as const).find((w) => execution.stateMachine.endsWith(`-${w}`));
  if (!workflow) {
    throw new UsageError(
      `execution = ${JSON.stringify(flags.execution)}; allowed: a restore or rewind execution (the workflows with ` +
        `a cutover; ${execution.stateMachine} has none)`,
    );
  }
  const described = await describeExecution(deps, env, execution);
  if (described.status !== 'RUNNING') {
    throw new UsageError(
      `execution ${execution.name} is ${described.status}; allowed: a running ${workflow} waiting for approval`,
    );
  }
  const client = deps.sfn(env.region);
  const waiting = await observe(env, `read the history of ${execution.name}`, () =>
    waitingApproval(client, execution.arn),
  );
  if (!waiting.token) {
    throw new UsageError(
      `execution ${execution.name} is not waiting for a cutover approval (it is at ${waiting.at}); ` +
        `follow it with: ${reattachCommand(env, execution)}`,
    );
  }
  const taskToken = waiting.token;
  if (flags.reject) {
    const reason = flags.reason ? `: ${flags.reason.slice(0, 200)}` : '';
    await client.send(
      new SendTaskFailureCommand({
        taskToken,
        error: 'CutoverRejected',
        cause: `Cutover rejected with authdb-dr ${workflow} approve --reject${reason}`,
      }),
    );
    deps.err(`Cutover of ${execution.name} rejected: the ${workflow} ends without cutover (${KEPT[workflow]}).\n`);
  } else {
    const identityProof = await identityProofFor(deps, env, 'approve', execution.arn);
    await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ identityProof }) }));
    deps.err(
      `Approval of ${execution.name} sent. The workflow asks STS who you are and accepts it only from a person other ` +
        `than the one who started the ${workflow}; otherwise it asks again.\n`,
    );
  }
  deps.err(`Follow it with: ${reattachCommand(env, execution)}\n`);
  return EXIT.ok;
}

/** `<workflow> approve`: registered under `restore` and `rewind`, one command for either kind of execution. */
export function registerApprove(parent: Command, deps: CliDeps, done: Done, workflow: ApprovedWorkflow = 'restore') {
  const approve = parent
    .command('approve')
    .description(
      `approve (or --reject) a ${workflow}'s cutover as the second person: the workflow checks with STS that you ` +
        'did not start it (restore and rewind executions alike)',
    )
    .requiredOption('--execution <name|arn>', `the ${workflow} execution waiting for approval`)
    .option('--reject', `reject the cutover: the ${workflow} ends without it, ${KEPT[workflow]}`)
    .option('--reason <text>', 'why (with --reject; recorded in the execution)');
  envOption(approve, deps);
  approve.action((flags: ApproveFlags) => done(approveRestore(deps, flags)));
}
