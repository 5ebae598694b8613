import { createHash } from 'node:crypto';
import { quoteName } from '../../lambda/shared/row-counts.js';
import { type PostgresServer, recoverCluster } from '../../test/support/postgres.js';
import { type QueryParams, ServiceError, type Tag, type XmlObject, xmlList } from './protocol.js';

export const RDS_NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** A way for the next restore to go wrong, to watch the drill fail and clean up. */
export type RestoreFault =
  | { kind: 'api-error' }
  | { kind: 'bad-status' }
  | {
      kind: 'lost-rows';
      table: string;
      rows: number /** The oldest rows by this column go. @default physical order */;
      timeColumn?: string;
    };

export interface LocalRdsOptions {
  region: string;
  account: string;
  /** Where restored clusters get their private directories. */
  parentDir: string;
  /** How often the source's WAL is switched and archived, advancing LatestRestorableTime. @default 3000 */
  shipIntervalMs?: number;
  fault?: RestoreFault;
  /**
   * Leave one restored cluster running for inspection: DeleteDBInstance then removes the instance from the API (as
   * RDS does) but not its cluster, and `stop` leaves it running. @default false
   */
  keepDeleted?: boolean;
  /** What the stand-in does, for the progress output. */
  onEvent?: (message: string) => void;
}

export interface SourceOptions {
  id: string;
  server: PostgresServer;
  /** A base backup of `server`; restores start from it. */
  baseBackupDir: string;
  /** When the base backup ended: the earliest restorable time. */
  baseBackupAt: Date;
  databaseName: string;
  masterUsername: string;
  instanceClass: string;
  deletionProtection: boolean;
  tags?: Tag[];
}

interface LocalInstance {
  id: string;
  status: string;
  createdAt: Date;
  instanceClass: string;
  databaseName: string;
  masterUsername: string;
  tags: Tag[];
  deletionProtection: boolean;
  iamAuth: boolean;
  multiAz: boolean;
  backupRetention: number;
  subnetGroup?: string;
  securityGroups: string[];
  parameterGroup?: string;
  server?: PostgresServer;
  source?: SourceOptions & { latestRestorableTime: Date };
  /** The restore or delete still running in the background. */
  work?: Promise<void>;
}

const IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/;

/**
 * RDS for the local drill: instances backed by local PostgreSQL clusters. The source's LatestRestorableTime advances
 * as its WAL is archived; RestoreDBInstanceToPointInTime performs a real point-in-time recovery (base backup + WAL
 * archive + recovery_target_time) into a new cluster on a free port, `creating` until it is promoted.
 */
export class LocalRds {
  private readonly instances = new Map<string, LocalInstance>();
  private shipper?: NodeJS.Timeout;
  private shipping?: Promise<void>;
  private stopped = false;
  private kept?: { id: string; server: PostgresServer };

  constructor(private readonly opts: LocalRdsOptions) {}

  arnOf(id: string): string {
    return `arn:aws:rds:${this.opts.region}:${this.opts.account}:db:${id}`;
  }

  /** Registers the production stand-in and starts shipping its WAL. */
  addSource(source: SourceOptions): void {
    const instance: LocalInstance = {
      id: source.id,
      status: 'available',
      createdAt: source.baseBackupAt,
      instanceClass: source.instanceClass,
      databaseName: source.databaseName,
      masterUsername: source.masterUsername,
      tags: source.tags ?? [],
      deletionProtection: source.deletionProtection,
      iamAuth: true,
      multiAz: false,
      backupRetention: 7,
      securityGroups: [],
      server: source.server,
      source: { ...source, latestRestorableTime: source.baseBackupAt },
    };
    this.instances.set(source.id, instance);
    const interval = this.opts.shipIntervalMs ?? 3000;
    const loop = () => {
      const started = Date.now();
      this.shipping = this.shipLogs(instance)
        .then(() => {
          const seconds = (Date.now() - started) / 1000;
          // RDS ships about every 5 minutes; here a slow archive shows as RPO lag, so say why.
          if (seconds > 5) this.opts.onEvent?.(`archiving the WAL of ${source.id} took ${seconds.toFixed(1)} s`);
        })
        .catch((error) => {
          if (!this.stopped) this.opts.onEvent?.(`log shipping of ${source.id} failed: ${(error as Error).message}`);
        })
        .finally(() => {
          if (!this.stopped) this.shipper = setTimeout(loop, interval);
        });
    };
    this.shipper = setTimeout(loop, interval);
  }

  /**
   * Makes everything committed so far restorable: notes the time T, commits once more (recovery to T needs a commit
   * after T in the archive), ends the WAL segment and waits until it is archived.
   */
  async shipLogs(instance: LocalInstance): Promise<void> {
    const source = instance.source!;
    const server = source.server;
    const at = await server.psql(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    );
    await server.psql('SELECT txid_current()');
    await server.switchWalAndWaitForArchive();
    source.latestRestorableTime = new Date(at);
  }

  /** Handles one awsQuery request; returns the result element's content. */
  async handle(params: QueryParams): Promise<XmlObject> {
    if (this.stopped) throw new ServiceError('ServiceUnavailable', 'The local RDS stand-in is shutting down', 503);
    switch (params.action) {
      case 'DescribeDBInstances':
        return this.describe(params.get('DBInstanceIdentifier'));
      case 'RestoreDBInstanceToPointInTime':
        return { DBInstance: this.render(this.restore(params)) };
      case 'DeleteDBInstance':
        return { DBInstance: this.render(this.delete(params)) };
      case 'AddTagsToResource': {
        const instance = this.byArn(params.required('ResourceName'));
        for (const tag of params.tags()) {
          instance.tags = [...instance.tags.filter((t) => t.Key !== tag.Key), tag];
        }
        return {};
      }
      case 'ListTagsForResource':
        return {
          TagList: xmlList(
            'Tag',
            this.byArn(params.required('ResourceName')).tags.map((t) => ({ ...t })),
          ),
        };
      default:
        throw new ServiceError(
          'InvalidAction',
          `The local RDS stand-in does not implement ${params.action || '(no Action)'}; it serves DescribeDBInstances, ` +
            'RestoreDBInstanceToPointInTime, DeleteDBInstance, AddTagsToResource and ListTagsForResource',
        );
    }
  }

  /** Stops log shipping and every cluster it started (but the kept one), after any restore still in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.shipper);
    await this.shipping;
    for (const instance of [...this.instances.values()]) {
      await instance.work?.catch(() => {});
      if (instance.source || !instance.server) continue; // the caller started the source and stops it
      if (this.opts.keepDeleted && !this.kept) this.keep(instance.id, instance.server);
      else await instance.server.stop();
    }
  }

  /** The restored cluster left running (`keepDeleted`), once stopped. */
  keptServer(): { id: string; server: PostgresServer } | undefined {
    return this.kept;
  }

  /** The local cluster behind an instance. */
  serverOf(id: string): PostgresServer | undefined {
    return this.instances.get(id)?.server;
  }

  private keep(id: string, server: PostgresServer): void {
    server.detach();
    this.kept = { id, server };
  }

  private find(id: string): LocalInstance {
    const instance = this.instances.get(id);
    if (!instance) throw new ServiceError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
    return instance;
  }

  private byArn(arn: string): LocalInstance {
    const match = /^arn:aws[a-z-]*:rds:[^:]+:\d{12}:db:(.+)$/.exec(arn);
    if (!match) throw new ServiceError('InvalidParameterValue', `Invalid resource name: ${arn}`);
    return this.find(match[1]!);
  }

  private describe(id: string | undefined): XmlObject {
    const found = id === undefined ? [...this.instances.values()] : [this.find(id)];
    return {
      DBInstances: xmlList(
        'DBInstance',
        found.map((i) => this.render(i)),
      ),
    };
  }

  private restore(params: QueryParams): LocalInstance {
    if (this.opts.fault?.kind === 'api-error') {
      throw new ServiceError(
        'InsufficientDBInstanceCapacity',
        `Cannot create a DB instance of class ${params.get('DBInstanceClass')}: no capacity in the requested ` +
          'availability zone (injected by --break api-error)',
      );
    }
    const source = this.find(params.required('SourceDBInstanceIdentifier'));
    const targetId = params.required('TargetDBInstanceIdentifier');
    if (!IDENTIFIER.test(targetId) || targetId.endsWith('-')) {
      throw new ServiceError(
        'InvalidParameterValue',
        `The parameter TargetDBInstanceIdentifier is not a valid identifier (${targetId}): 1 to 63 letters, digits ` +
          'or hyphens, starting with a letter, no two consecutive hyphens, not ending with a hyphen.',
      );
    }
    if (this.instances.has(targetId)) {
      throw new ServiceError('DBInstanceAlreadyExists', `DB instance already exists: ${targetId}`);
    }
    if (!source.source || source.status !== 'available') {
      throw new ServiceError('InvalidDBInstanceState', `Instance ${source.id} cannot be restored from (no backups).`);
    }
    const backups = source.source;
    const restoreTimeText = params.get('RestoreTime');
    if ((restoreTimeText === undefined) === (params.bool('UseLatestRestorableTime') !== true)) {
      throw new ServiceError(
        'InvalidParameterCombination',
        'Specify exactly one of RestoreTime and UseLatestRestorableTime.',
      );
    }
    const restoreTime = restoreTimeText === undefined ? backups.latestRestorableTime : new Date(restoreTimeText);
    if (
      Number.isNaN(restoreTime.getTime()) ||
      restoreTime < backups.baseBackupAt ||
      restoreTime > backups.latestRestorableTime
    ) {
      throw new ServiceError(
        'InvalidRestoreFault',
        `Restore time ${restoreTimeText} is outside the restorable window of ${source.id}: ` +
          `${backups.baseBackupAt.toISOString()} to ${backups.latestRestorableTime.toISOString()}.`,
      );
    }
    const instance: LocalInstance = {
      id: targetId,
      status: 'creating',
      createdAt: new Date(),
      instanceClass: params.get('DBInstanceClass') ?? source.instanceClass,
      databaseName: source.databaseName,
      masterUsername: source.masterUsername,
      tags: params.tags(),
      deletionProtection: params.bool('DeletionProtection') ?? false,
      iamAuth: params.bool('EnableIAMDatabaseAuthentication') ?? false,
      multiAz: params.bool('MultiAZ') ?? false,
      backupRetention: Number(params.get('BackupRetentionPeriod') ?? 1),
      subnetGroup: params.get('DBSubnetGroupName'),
      securityGroups: params.list('VpcSecurityGroupIds', 'VpcSecurityGroupId'),
      parameterGroup: params.get('DBParameterGroupName'),
    };
    this.instances.set(targetId, instance);
    instance.work = this.recover(instance, backups, restoreTime);
    return instance;
  }

  private async recover(instance: LocalInstance, source: SourceOptions, restoreTime: Date): Promise<void> {
    const started = Date.now();
    const fault = this.opts.fault;
    this.opts.onEvent?.(
      `PITR of ${source.id} to ${restoreTime.toISOString()} into ${instance.id}: base backup + WAL archive replay`,
    );
    if (fault?.kind === 'bad-status') {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      instance.status = 'incompatible-restore';
      this.opts.onEvent?.(`${instance.id} is incompatible-restore (injected by --break bad-status)`);
      return;
    }
    try {
      const server = await recoverCluster({
        baseBackupDir: source.baseBackupDir,
        archiveDir: source.server.archiveDir!,
        targetTime: restoreTime.toISOString(),
        parentDir: this.opts.parentDir,
      });
      instance.server = server;
      if (fault?.kind === 'lost-rows') {
        // Like a restore that silently lost its oldest rows: the verifier must notice.
        const table = quoteName(fault.table, 'table', true);
        const order = fault.timeColumn === undefined ? 'ctid' : quoteName(fault.timeColumn, 'time column');
        await server.psql(
          `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} ORDER BY ${order} LIMIT ${Number(fault.rows)})`,
          source.databaseName,
        );
        this.opts.onEvent?.(`deleted ${fault.rows} rows of ${fault.table} in ${instance.id} (--break lost-rows)`);
      }
      if (this.stopped) return;
      instance.status = 'available';
      this.opts.onEvent?.(
        `${instance.id} available on 127.0.0.1:${server.port} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      // RDS's status for a point-in-time restore that cannot complete.
      instance.status = 'incompatible-restore';
      this.opts.onEvent?.(`restore of ${instance.id} failed: ${(error as Error).message}`);
    }
  }

  private delete(params: QueryParams): LocalInstance {
    const instance = this.find(params.required('DBInstanceIdentifier'));
    if (instance.status === 'creating' || instance.status === 'deleting') {
      throw new ServiceError('InvalidDBInstanceState', `Instance ${instance.id} is currently ${instance.status}.`);
    }
    if (instance.deletionProtection) {
      throw new ServiceError(
        'InvalidParameterCombination',
        'Cannot delete protected DB Instance, please disable deletion protection and try again.',
      );
    }
    if (params.bool('SkipFinalSnapshot') !== true) {
      throw new ServiceError(
        'InvalidParameterCombination',
        'The local RDS stand-in takes no final snapshots: SkipFinalSnapshot must be true.',
      );
    }
    instance.status = 'deleting';
    const previous = instance.work ?? Promise.resolve();
    instance.work = previous.then(async () => {
      const server = instance.server;
      if (server && this.opts.keepDeleted && !this.kept) {
        this.keep(instance.id, server);
        this.opts.onEvent?.(`${instance.id} deleted from the API; its cluster keeps running (--keep)`);
      } else {
        await server?.stop();
        this.opts.onEvent?.(`${instance.id} deleted (cluster stopped, data directory removed)`);
      }
      this.instances.delete(instance.id);
    });
    return instance;
  }

  private render(i: LocalInstance): XmlObject {
    const resourceId = `db-${createHash('sha256').update(i.id).digest('hex').slice(0, 26).toUpperCase()}`;
    return {
      DBInstanceIdentifier: i.id,
      DBInstanceClass: i.instanceClass,
      Engine: 'postgres',
      EngineVersion: '15',
      DBInstanceStatus: i.status,
      MasterUsername: i.masterUsername,
      DBName: i.databaseName,
      Endpoint:
        i.server && i.status !== 'creating'
          ? { Address: '127.0.0.1', Port: i.server.port, HostedZoneId: 'LOCAL' }
          : undefined,
      InstanceCreateTime: i.createdAt,
      LatestRestorableTime: i.source?.latestRestorableTime,
      BackupRetentionPeriod: i.backupRetention,
      MultiAZ: i.multiAz,
      PubliclyAccessible: false,
      StorageEncrypted: true,
      DeletionProtection: i.deletionProtection,
      IAMDatabaseAuthenticationEnabled: i.iamAuth,
      DBInstanceArn: this.arnOf(i.id),
      DbiResourceId: resourceId,
      DBSubnetGroup: i.subnetGroup ? { DBSubnetGroupName: i.subnetGroup } : undefined,
      VpcSecurityGroups: xmlList(
        'VpcSecurityGroupMembership',
        i.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
      ),
      DBParameterGroups: i.parameterGroup
        ? xmlList('DBParameterGroup', [{ DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: 'in-sync' }])
        : undefined,
      PendingModifiedValues: {},
      TagList: xmlList(
        'Tag',
        i.tags.map((t) => ({ ...t })),
      ),
    };
  }
}
