import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { expect } from 'vitest';
import type { RolePolicies } from './iam-policies.js';

export interface Decision {
  result: EvaluationResult;
  /** What was asked and why the simulator decided so, for failure messages. */
  why: string;
}

/** What the IAM policy simulator decides for one request by a role, with the reason, for failure messages. */
export async function decide(
  role: RolePolicies,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  /** The resource's own policy (e.g. a KMS key policy: KMS needs one beside the identity policy). */
  resourcePolicy?: unknown,
): Promise<Decision> {
  const account = role.arn.split(':')[4]!;
  const response = await runSimulation(
    {
      request: { principal: role.arn, action, resource: { resource, accountId: account }, contextVariables: context },
      identityPolicies: role.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  const asked = `${role.logicalId}: ${action} on ${resource} with ${JSON.stringify(context)}`;
  if (response.resultType === 'error') throw new Error(`${asked}: simulation error ${JSON.stringify(response.errors)}`);
  if (response.resultType !== 'single') throw new Error(`${asked}: expected one resource, got ${response.resultType}`);
  const { analysis, ignoredContextKeys = [] } = response.result;
  // A context key the simulator drops would make a tag condition vacuous: the test would prove nothing.
  if (ignoredContextKeys.length > 0) throw new Error(`${asked}: simulator ignored ${ignoredContextKeys}`);
  const identity = analysis.identityAnalysis;
  const sids = (list: { explain: { identifier: string } }[] | undefined) =>
    list?.map((s) => (/^\d+$/.test(s.explain.identifier) ? `#${s.explain.identifier}` : s.explain.identifier));
  const why = `${asked} => ${response.overallResult} (deny: ${sids(identity?.denyStatements)}, allow: ${sids(identity?.allowStatements)})`;
  return { result: response.overallResult, why };
}

export async function expectDecision(decision: Promise<Decision>, expected: EvaluationResult): Promise<void> {
  const { result, why } = await decision;
  expect(result, why).toBe(expected);
}

export async function expectNotAllowed(decision: Promise<Decision>): Promise<void> {
  const { result, why } = await decision;
  expect(result, why).not.toBe('Allowed');
}
