import type { z } from 'zod';

/**
 * An error whose `name` is what Step Functions matches in Retry and Catch (`ErrorEquals`), with a message that
 * says what is wrong, the value and what is allowed.
 */
export class WorkflowError extends Error {
  constructor(
    override readonly name: WorkflowErrorName,
    message: string,
  ) {
    super(message);
  }
}

export type WorkflowErrorName =
  | 'InvalidInput'
  | 'SourceNotAvailable'
  | 'DrillAlreadyRunning'
  | 'SnapshotNotFound'
  | 'ScratchInstanceNotOwned'
  | 'TargetInUse'
  | 'RecoveryPointOutsideWindow'
  | 'DataLossNotAcknowledged'
  | 'NotCalledByRestore'
  | 'NameNotSettled'
  | 'InvalidIdentityProof'
  | 'IdentityCheckUnavailable'
  | 'ApprovalRefused';

/** Longest value an error message repeats: an input of any length must not flood logs, reports or the console. */
export const MAX_SHOWN_VALUE = 80;

/** `text` cut to MAX_SHOWN_VALUE characters, with its full length said. */
export function cut(text: string): string {
  return text.length <= MAX_SHOWN_VALUE ? text : `${text.slice(0, MAX_SHOWN_VALUE)}…(${text.length} characters)`;
}

/** `value` as JSON, cut (see `cut`). */
export function shown(value: unknown): string {
  return value === undefined ? 'missing' : cut(JSON.stringify(value));
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One line per problem: `field = value; allowed: ...`. Shared by the config loader and the workflow inputs. */
export function describeIssues(input: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(input)';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
      const keys = issue.keys.map((k) => where + k).join(', ');
      const named = keys.length <= MAX_SHOWN_VALUE ? keys : `${keys.slice(0, MAX_SHOWN_VALUE)}…`;
      return `${named}: unknown field(s); allowed: only the documented fields`;
    }
    const value = valueAt(input, issue.path);
    const allowed = issue.message.startsWith('allowed:') ? issue.message : `allowed: ${issue.message}`;
    return `${field} = ${shown(value)}; ${allowed}`;
  });
}

/** Parses `input` with `schema`, or throws InvalidInput listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new WorkflowError('InvalidInput', `Invalid ${what}: ${describeIssues(input, result.error.issues).join('; ')}`);
}
