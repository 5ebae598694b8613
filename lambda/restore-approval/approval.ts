import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { proofPurpose } from '../../contract/identity-proof.js';
import { cut, parseInput, shown, WorkflowError } from '../shared/errors.js';
import { type IdentityCheck, principalKey, verifyIdentityProof } from '../shared/identity-proof.js';

export interface ApprovalConfig {
  environment: string;
  topicArn: string;
  /** How long the request waits (the state's timeout), for the message. */
  timeoutMinutes: number;
  identity: Omit<IdentityCheck, 'fetch' | 'now'>;
  /**
   * The state machines whose running executions may ask for (and get) an approval: the restore's, and the rewind's
   * where the environment has one. Their cutovers are the same (lambda/restore-cutover).
   */
  stateMachines: { restore: string; rewind?: string };
}

export interface ApprovalDeps {
  sns: SNSClient;
  sfn: SFNClient;
  fetch: typeof fetch;
  now: () => Date;
}

const planSchema = z
  .object({
    environment: z.string(),
    sourceInstanceId: z.string(),
    targetInstanceId: z.string(),
    preRestoreInstanceId: z.string(),
    executionArn: z.string(),
    executionName: z.string(),
    cutover: z.literal(true),
    startedBy: z.string(),
  })
  .loose();

const requestSchema = z.object({
  action: z.literal('request'),
  /** Step Functions' task token: never logged, published or returned (the approver's CLI reads it from the history). */
  taskToken: z.string().min(1),
  plan: planSchema,
  /** Why the previous approval was not accepted (empty the first time). */
  refusal: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose(),
});

const checkSchema = z.object({
  action: z.literal('check'),
  plan: planSchema,
  /** What the approver's `authdb-dr restore approve` sent with SendTaskSuccess. */
  approval: z.object({ identityProof: z.string().max(8192) }).loose(),
});

const eventSchema = z.discriminatedUnion('action', [requestSchema, checkSchema]);

/** Which workflow asks: the CLI command and the words of the message follow from it. */
type Workflow = 'restore' | 'rewind';

/**
 * The workflow whose execution the plan names, as Step Functions describes it (not as the event claims): a RUNNING
 * execution of the environment's restore or rewind state machine, else ApprovalRefused.
 */
async function callingWorkflow(executionArn: string, config: ApprovalConfig, sfn: SFNClient): Promise<Workflow> {
  const machines = Object.entries(config.stateMachines).filter((e): e is [Workflow, string] => e[1] !== undefined);
  const refuse = (why: string): never => {
    throw new WorkflowError('ApprovalRefused', `Approval step refused for execution ${shown(executionArn)}: ${why}`);
  };
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    return refuse(`it cannot be described (${(error as Error).name})`);
  }
  const workflow = machines.find(([, arn]) => arn === execution.stateMachineArn)?.[0];
  if (!workflow) return refuse(`it is not an execution of ${machines.map(([, arn]) => arn).join(' or ')}`);
  if (execution.status !== 'RUNNING') refuse(`it is ${execution.status}; allowed: RUNNING`);
  return workflow;
}

const WHAT: Record<Workflow, { target: string; kept: string }> = {
  restore: { target: 'the restored instance', kept: 'the restored instance' },
  rewind: { target: 'the promoted delayed replica', kept: 'the promoted replica' },
};

export interface ApprovalResult {
  action: 'request' | 'check';
  notified?: boolean;
  approvedBy?: string;
  startedBy?: string;
  approvedAt?: string;
}

/**
 * The two-person rule of the cutover, for the restore and the rewind alike. `request` (the state waits for its task token): tells the alert topic that an
 * approval is needed and how to give it. `check`: the approval's identity proof, executed against STS, names the
 * approver; a principal other than the starter (role + session) is required.
 */
export async function approval(event: unknown, config: ApprovalConfig, deps: ApprovalDeps): Promise<ApprovalResult> {
  const e = parseInput(eventSchema, event, 'approval event');
  const p = e.plan;
  const workflow = await callingWorkflow(p.executionArn, config, deps.sfn);
  const what = WHAT[workflow];
  if (e.action === 'request') {
    const deadline = new Date(deps.now().getTime() + config.timeoutMinutes * 60_000).toISOString();
    const command = `npx authdb-dr ${workflow} approve --env ${config.environment} --execution ${p.executionName}`;
    await deps.sns.send(
      new PublishCommand({
        TopicArn: config.topicArn,
        Subject: `[authdb-dr ${config.environment}] approval needed: cutover of ${p.sourceInstanceId}`.slice(0, 99),
        Message: [
          `Approval needed for ${workflow} execution ${p.executionName} in ${config.environment}: cut over to ` +
            `${what.target} ${p.targetInstanceId} (verified). ${p.sourceInstanceId} is renamed to ` +
            `${p.preRestoreInstanceId} and ${p.targetInstanceId} takes its name and endpoint.`,
          `Started by: ${p.startedBy}`,
          e.refusal.Cause ? `The previous approval was not accepted: ${e.refusal.Cause.slice(0, 400)}` : undefined,
          `A different person approves with:\n  ${command}`,
          `or rejects with:\n  ${command} --reject`,
          `Without an approval by ${deadline} the ${workflow} ends without cutover; ${p.targetInstanceId} stays.`,
          `Execution: ${p.executionArn}`,
        ]
          .filter((line) => line !== undefined)
          .join('\n'),
      }),
    );
    return { action: 'request', notified: true };
  }

  const approver = await verifyIdentityProof(e.approval.identityProof, proofPurpose('approve', p.executionArn), {
    ...config.identity,
    fetch: deps.fetch,
    now: deps.now,
  });
  if (approver.key === principalKey(p.startedBy)) {
    throw new WorkflowError(
      'ApprovalRefused',
      `Approval by ${cut(approver.arn)} refused: the same principal started the ${workflow}; allowed: another person ` +
        '(another IAM user, or another role session)',
    );
  }
  return { action: 'check', approvedBy: approver.arn, startedBy: p.startedBy, approvedAt: deps.now().toISOString() };
}
