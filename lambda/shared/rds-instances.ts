import {
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  paginateDescribeDBInstances,
  type RDSClient,
} from '@aws-sdk/client-rds';

/** Statuses from which an instance does not become `available` by itself. */
export const TERMINAL_FAILURE_STATES: ReadonlySet<string> = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'inaccessible-encryption-credentials',
  'restore-error',
  'storage-full',
]);

/** The instance, or undefined when it does not exist. */
export async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault || (error as Error).name === 'DBInstanceNotFoundFault') {
      return undefined;
    }
    throw error;
  }
}

/** Every instance in the account and region (paginated). */
export async function listInstances(rds: RDSClient): Promise<DBInstance[]> {
  const instances: DBInstance[] = [];
  for await (const page of paginateDescribeDBInstances({ client: rds }, {})) {
    instances.push(...(page.DBInstances ?? []));
  }
  return instances;
}

export function tagValue(instance: DBInstance, key: string): string | undefined {
  return instance.TagList?.find((t) => t.Key === key)?.Value;
}
