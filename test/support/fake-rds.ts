import {
  AddTagsToResourceCommand,
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DBInstanceNotFoundFault,
  type DBSnapshot,
  DBSnapshotNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  StartDBInstanceAutomatedBackupsReplicationCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, REGION } from './state-machine.js';

interface FakeInstance {
  id: string;
  /** Statuses returned by successive describes; the last one repeats. */
  statuses: string[];
  tags: { Key: string; Value: string }[];
  createdAt: Date;
  /** Source only: how far LatestRestorableTime trails the clock, per describe (last repeats). */
  lagsMs?: number[];
  extra?: Partial<DBInstance>;
}

/** Calls that change something; a test asserts which of them happened. */
export const MUTATING = [
  'RestoreToPointInTime',
  'RestoreFromSnapshot',
  'Delete',
  'Modify',
  'Reboot',
  'Stop',
  'AddTags',
  'StartReplication',
] as const;

/**
 * An in-memory RDS behind aws-sdk-client-mock: instances with scripted status sequences, a recorded call log, and
 * injectable failures.
 */
export class FakeRds {
  readonly mock = mockClient(RDSClient);
  readonly instances = new Map<string, FakeInstance>();
  readonly calls: { command: string; input: Record<string, unknown> }[] = [];
  /** Status sequence of instances created by a restore. */
  restoredStatuses = ['creating', 'backing-up', 'available'];
  restoreError?: Error;
  /** Errors thrown by the next DeleteDBInstance calls, in order. */
  deleteErrors: Error[] = [];
  /** Errors thrown by ModifyDBInstance renames (NewDBInstanceIdentifier), by the identifier being renamed. */
  renameErrors = new Map<string, Error>();
  /** Errors thrown once each, in order, by renames of the identifier, or of any starting with a key ending in `-`. */
  renameErrorsOnce = new Map<string, Error[]>();
  /** Renames of these identifiers are applied, and then the call reports an error anyway (a lost response). */
  renameErrorsAfterApplying = new Map<string, Error>();
  /** Status script of an instance after its rename (the last repeats). */
  renameStatuses = ['renaming', 'available'];
  snapshots: DBSnapshot[] = [];
  /** What DescribeDBInstanceAutomatedBackups lists, when set (default: one 7-day window of the instance asked). */
  automatedBackups?: DBInstanceAutomatedBackup[];

  constructor(private readonly now: () => Date = () => new Date()) {
    const describe = (input: { DBInstanceIdentifier?: string }) => {
      this.calls.push({ command: 'Describe', input });
      if (input.DBInstanceIdentifier) {
        const found = this.instances.get(input.DBInstanceIdentifier);
        if (!found)
          throw new DBInstanceNotFoundFault({
            message: `DBInstance ${input.DBInstanceIdentifier} not found.`,
            $metadata: {},
          });
        return { DBInstances: [this.render(found, true)] };
      }
      // Listing shows the current state without moving any instance along its script.
      return { DBInstances: [...this.instances.values()].map((i) => this.render(i, false)) };
    };
    this.mock.on(DescribeDBInstancesCommand).callsFake(describe);
    this.mock.on(DescribeDBSnapshotsCommand).callsFake((input) => {
      this.calls.push({ command: 'DescribeSnapshots', input });
      if (input.DBSnapshotIdentifier) {
        const found = this.snapshots.find(
          (x) =>
            x.DBSnapshotIdentifier === input.DBSnapshotIdentifier || x.DBSnapshotArn === input.DBSnapshotIdentifier,
        );
        if (!found) throw new DBSnapshotNotFoundFault({ message: 'not found', $metadata: {} });
        return { DBSnapshots: [found] };
      }
      return {
        DBSnapshots: this.snapshots.filter(
          (x) => x.DBInstanceIdentifier === input.DBInstanceIdentifier && x.SnapshotType === input.SnapshotType,
        ),
      };
    });
    this.mock.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake((input) => {
      this.calls.push({ command: 'DescribeAutomatedBackups', input });
      if (this.automatedBackups) return { DBInstanceAutomatedBackups: this.automatedBackups };
      const owner = [...this.instances.values()].find(
        (i) => i.extra?.DbiResourceId !== undefined && i.extra.DbiResourceId === input.DbiResourceId,
      );
      return {
        DBInstanceAutomatedBackups: [
          {
            DBInstanceIdentifier: input.DBInstanceIdentifier ?? owner?.id,
            DbiResourceId: input.DbiResourceId,
            RestoreWindow: { EarliestTime: new Date(this.now().getTime() - 7 * 86_400_000), LatestTime: this.now() },
          },
        ],
      };
    });
    this.mock.on(AddTagsToResourceCommand).callsFake((input) => {
      this.calls.push({
        command: 'AddTags',
        input: { ...input, DBInstanceIdentifier: String(input.ResourceName).split(':').pop() },
      });
      return {};
    });
    this.mock.on(StartDBInstanceAutomatedBackupsReplicationCommand).callsFake((input) => {
      this.calls.push({
        command: 'StartReplication',
        input: { ...input, DBInstanceIdentifier: String(input.SourceDBInstanceArn).split(':').pop() },
      });
      return {};
    });
    this.mock.on(ModifyDBInstanceCommand).callsFake((input) => {
      this.calls.push({ command: 'Modify', input });
      const error =
        input.NewDBInstanceIdentifier &&
        (this.renameErrors.get(input.DBInstanceIdentifier) ??
          [...this.renameErrorsOnce]
            .find(
              ([k]) =>
                k === input.DBInstanceIdentifier || (k.endsWith('-') && input.DBInstanceIdentifier.startsWith(k)),
            )?.[1]
            .shift());
      if (error) throw error;
      if (input.NewDBInstanceIdentifier && this.instances.has(input.NewDBInstanceIdentifier)) {
        throw Object.assign(new Error(`${input.NewDBInstanceIdentifier} exists`), {
          name: 'DBInstanceAlreadyExistsFault',
        });
      }
      const found = this.instances.get(input.DBInstanceIdentifier);
      if (!found) throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
      if (input.NewDBInstanceIdentifier) {
        this.instances.delete(found.id);
        found.id = input.NewDBInstanceIdentifier;
        found.statuses = [...this.renameStatuses];
        this.instances.set(found.id, found);
        const lost = this.renameErrorsAfterApplying.get(input.DBInstanceIdentifier);
        if (lost) throw lost;
      } else {
        found.statuses = ['modifying', 'available'];
      }
      return {};
    });
    const restore = (command: string, id: string, input: Record<string, unknown>) => {
      this.calls.push({ command, input });
      if (this.restoreError) throw this.restoreError;
      if (this.instances.has(id))
        throw Object.assign(new Error(`${id} exists`), { name: 'DBInstanceAlreadyExistsFault' });
      this.instances.set(id, {
        id,
        statuses: [...this.restoredStatuses],
        tags: (input.Tags as FakeInstance['tags']) ?? [],
        createdAt: this.now(),
      });
      return { DBInstance: { DBInstanceIdentifier: id, DBInstanceStatus: 'creating' } };
    };
    this.mock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .callsFake((input) => restore('RestoreToPointInTime', input.TargetDBInstanceIdentifier, input));
    this.mock
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .callsFake((input) => restore('RestoreFromSnapshot', input.DBInstanceIdentifier, input));
    this.mock.on(DeleteDBInstanceCommand).callsFake((input) => {
      this.calls.push({ command: 'Delete', input });
      const error = this.deleteErrors.shift();
      if (error) throw error;
      const found = this.instances.get(input.DBInstanceIdentifier);
      if (!found) throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
      found.statuses = ['deleting'];
      return { DBInstance: { DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'deleting' } };
    });
    for (const [command, cls] of [
      ['Reboot', RebootDBInstanceCommand],
      ['Stop', StopDBInstanceCommand],
    ] as const) {
      this.mock.on(cls as never).callsFake((input: Record<string, unknown>) => {
        this.calls.push({ command, input });
        return {};
      });
    }
  }

  /** The production instance: available, with an RDS-managed master secret (which must never leak). */
  addSource(id: string, lagsMs: number[] = [240_000]): void {
    this.instances.set(id, {
      id,
      statuses: ['available'],
      tags: [],
      createdAt: new Date('2026-01-01T00:00:00Z'),
      lagsMs,
      extra: {
        DbiResourceId: `db-${id.toUpperCase()}`,
        MasterUsername: 'authdb_admin',
        MasterUserSecret: {
          SecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0123-abcdef`,
          SecretStatus: 'active',
          KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/db-key`,
        },
        DBParameterGroups: [{ DBParameterGroupName: 'authdb-params', ParameterApplyStatus: 'in-sync' }],
        DBInstanceClass: 'db.t4g.medium',
        MultiAZ: false,
        DBSubnetGroup: { DBSubnetGroupName: 'authdb-subnets' },
        VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0database', Status: 'active' }],
        OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-15', Status: 'in-sync' }],
        StorageType: 'gp3',
        BackupRetentionPeriod: 7,
        IAMDatabaseAuthenticationEnabled: true,
        EnabledCloudwatchLogsExports: ['postgresql', 'upgrade', 'iam-db-auth-error'],
        PerformanceInsightsEnabled: true,
        PerformanceInsightsKMSKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/db-key`,
        PerformanceInsightsRetentionPeriod: 7,
        MonitoringInterval: 60,
        MonitoringRoleArn: `arn:aws:iam::${ACCOUNT}:role/monitoring`,
      },
    });
  }

  addInstance(id: string, tags: Record<string, string>, statuses = ['available'], createdAt = this.now()): void {
    this.instances.set(id, {
      id,
      statuses,
      tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      createdAt,
    });
  }

  /** Mutating calls, as `Command:identifier`. */
  mutations(): string[] {
    return this.calls
      .filter((c) => (MUTATING as readonly string[]).includes(c.command))
      .map((c) => `${c.command}:${String(c.input.DBInstanceIdentifier ?? c.input.TargetDBInstanceIdentifier)}`);
  }

  callsOf(command: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  restore(): void {
    this.mock.restore();
  }

  private render(instance: FakeInstance, advance: boolean): DBInstance {
    const next = <T>(script: T[]) => (advance && script.length > 1 ? script.shift()! : script[0]!);
    const status = next(instance.statuses);
    const lag = instance.lagsMs && next(instance.lagsMs);
    return {
      DBInstanceIdentifier: instance.id,
      DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${instance.id}`,
      DBInstanceStatus: status,
      Endpoint: { Address: `${instance.id}.abcdefghijkl.${REGION}.rds.amazonaws.com`, Port: 5432 },
      InstanceCreateTime: instance.createdAt,
      TagList: instance.tags,
      ...(lag !== undefined ? { LatestRestorableTime: new Date(this.now().getTime() - lag) } : {}),
      ...instance.extra,
    };
  }
}
