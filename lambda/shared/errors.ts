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
  | 'RecoveryPointOutsideWindow';

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
      return `${issue.keys.map((k) => where + k).join(', ')}: unknown field(s); allowed: only the documented fields`;
    }
    const value = valueAt(input, issue.path);
    const shown = value === undefined ? 'missing' : JSON.stringify(value);
    const allowed = issue.message.startsWith('allowed:') ? issue.message : `allowed: ${issue.message}`;
    return `${field} = ${shown}; ${allowed}`;
  });
}

/** Parses `input` with `schema`, or throws InvalidInput listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new WorkflowError('InvalidInput', `Invalid ${what}: ${describeIssues(input, result.error.issues).join('; ')}`);
}
