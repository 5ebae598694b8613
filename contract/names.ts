/** Every name this project gives an AWS resource starts with `authdb-dr-<environment>`: built here only. */
export const PROJECT = 'authdb-dr';

/** `authdb-dr-<environment>`: stack names, the dashboard, and the prefix of every other name. */
export function resourcePrefix(environment: string): string {
  return `${PROJECT}-${environment}`;
}

/** `authdb-dr-<environment>-<part>-<part>…`. */
export function resourceName(environment: string, ...parts: readonly string[]): string {
  return [resourcePrefix(environment), ...parts].join('-');
}

/** `authdb-dr/<environment>/<name>`: a KMS key alias (without the `alias/` prefix). */
export function keyAliasName(environment: string, name: string): string {
  return `${PROJECT}/${environment}/${name}`;
}

/** The state machines, by what they do. */
export type WorkflowKind = 'drill' | 'restore' | 'restore-rollback' | 'rewind' | 'failover' | 'dr-region-drill';

export function stateMachineName(environment: string, kind: WorkflowKind): string {
  return resourceName(environment, kind);
}
