import {
  type DBInstance,
  type RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT, TAG_RESTORED_FROM } from '../../contract/tags.js';
import { describeInstance } from './rds-instances.js';

/** Settings shared by both restore APIs (the from-snapshot input minus what names the snapshot and the target). */
export type RestoreSettings = Omit<
  RestoreDBInstanceFromDBSnapshotCommandInput,
  'DBSnapshotIdentifier' | 'DBInstanceIdentifier' | 'Tags'
>;

export type RestoreSource =
  | { kind: 'point-in-time'; sourceInstanceId: string; restoreTime?: string }
  | { kind: 'snapshot'; snapshotIdentifier: string }
  /** Automated backups replicated to this region (the source instance lives in another region). */
  | { kind: 'replicated-backups'; automatedBackupsArn: string; restoreTime?: string };

export interface RestoreRequestOptions {
  targetInstanceId: string;
  source: RestoreSource;
  settings: RestoreSettings;
  /** Tags that mark what the instance is for and which execution asked for it. */
  purpose: string;
  executionArn: string;
  requestedAt: string;
  restoredFrom: string;
}

/**
 * Asks RDS for a new instance from a point in time (`restoreTime`, or the latest restorable time) or a snapshot,
 * tagged with its purpose and execution. Returns the instance when a retried task finds that the first attempt
 * already created it (the caller decides whether it is its own), otherwise undefined.
 */
export async function requestRestore(rds: RDSClient, o: RestoreRequestOptions): Promise<DBInstance | undefined> {
  const tags = [
    { Key: TAG_PURPOSE, Value: o.purpose },
    { Key: TAG_EXECUTION, Value: o.executionArn },
    { Key: TAG_REQUESTED_AT, Value: o.requestedAt },
    { Key: TAG_RESTORED_FROM, Value: o.restoredFrom.slice(0, 256) },
  ];
  try {
    if (o.source.kind === 'point-in-time' || o.source.kind === 'replicated-backups') {
      await rds.send(
        new RestoreDBInstanceToPointInTimeCommand({
          ...o.settings,
          Tags: tags,
          ...(o.source.kind === 'point-in-time'
            ? { SourceDBInstanceIdentifier: o.source.sourceInstanceId }
            : { SourceDBInstanceAutomatedBackupsArn: o.source.automatedBackupsArn }),
          TargetDBInstanceIdentifier: o.targetInstanceId,
          ...(o.source.restoreTime
            ? { RestoreTime: new Date(o.source.restoreTime) }
            : { UseLatestRestorableTime: true }),
        }),
      );
    } else {
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          ...o.settings,
          Tags: tags,
          DBSnapshotIdentifier: o.source.snapshotIdentifier,
          DBInstanceIdentifier: o.targetInstanceId,
        }),
      );
    }
  } catch (error) {
    // A retry racing the first attempt: the instance exists now.
    if ((error as Error).name === 'DBInstanceAlreadyExistsFault') {
      const raced = await describeInstance(rds, o.targetInstanceId);
      if (raced) return raced;
    }
    throw error;
  }
  return undefined;
}
