import {
  type DBSnapshot,
  DBSnapshotNotFoundFault,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { WorkflowError } from '../../contract/errors.js';

export interface ResolvedSnapshot {
  /** The snapshot's ARN: RestoreDBInstanceFromDBSnapshot takes it for every kind (automated, manual, AWS Backup). */
  identifier: string;
  createdAt: string;
}

/**
 * The snapshot of `sourceInstanceId` to restore: the newest available one (`latest`), or the named one (an identifier
 * or an ARN, such as an AWS Backup recovery point's), which must exist, be available and be of that instance.
 */
export async function resolveSnapshot(
  rds: RDSClient,
  sourceInstanceId: string,
  wanted: { latest: boolean; identifier?: string },
): Promise<ResolvedSnapshot> {
  let snapshot: DBSnapshot | undefined;
  if (wanted.latest) {
    const all: DBSnapshot[] = [];
    for (const SnapshotType of ['automated', 'manual', 'awsbackup']) {
      const out = await rds.send(
        new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: sourceInstanceId, SnapshotType }),
      );
      all.push(...(out.DBSnapshots ?? []).filter((s) => s.Status === 'available' && s.SnapshotCreateTime));
    }
    snapshot = all.sort((a, b) => b.SnapshotCreateTime!.getTime() - a.SnapshotCreateTime!.getTime())[0];
    if (!snapshot) {
      throw new WorkflowError('SnapshotNotFound', `No available snapshot of ${sourceInstanceId} exists`);
    }
  } else {
    const id = wanted.identifier;
    if (!id) throw new WorkflowError('InvalidInput', 'A snapshot identifier or recovery point ARN is required');
    try {
      const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
      snapshot = out.DBSnapshots?.[0];
    } catch (error) {
      if (!(error instanceof DBSnapshotNotFoundFault || (error as Error).name === 'DBSnapshotNotFoundFault'))
        throw error;
    }
    if (!snapshot) throw new WorkflowError('SnapshotNotFound', `Snapshot ${id} does not exist`);
    if (snapshot.DBInstanceIdentifier !== sourceInstanceId) {
      throw new WorkflowError(
        'SnapshotNotFound',
        `Snapshot ${id} is of ${snapshot.DBInstanceIdentifier}; allowed: a snapshot of ${sourceInstanceId}`,
      );
    }
    if (snapshot.Status !== 'available') {
      throw new WorkflowError('SnapshotNotFound', `Snapshot ${id} is ${snapshot.Status}; allowed: available`);
    }
  }
  return {
    identifier: snapshot.DBSnapshotArn ?? snapshot.DBSnapshotIdentifier!,
    createdAt: snapshot.SnapshotCreateTime!.toISOString(),
  };
}
