import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { dumpBucketName } from '../../contract/logical-dump.js';
import { KeyAuditAlerts } from '../constructs/audit-alerts.js';
import type { AuthDatabase } from '../constructs/auth-database.js';
import { keyPolicyFor } from '../constructs/encryption-key.js';
import { LogicalBackupAlarms } from '../constructs/logical-backup-alarms.js';
import { LogicalBackupBucket } from '../constructs/logical-backup-bucket.js';
import { LogicalBackupJob } from '../constructs/logical-backup-job.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

export interface LogicalBackupStackProps extends EnvironmentStackProps {
  readonly vpc: ec2.IVpc;
  readonly database: AuthDatabase;
  /** The database's key: encrypts the task's logs. */
  readonly logKey: kms.IKey;
  readonly alertTopic: sns.ITopic;
  /** The key of the DR-region replica bucket (a cross-region reference; the bucket is found by its name). */
  readonly replicaBucketKey: kms.IKey;
  /** The multi-Region key (primary in the DR region) this region gets a replica of. */
  readonly drDumpKey: kms.IKey;
}

/**
 * Logical backups in the primary region: the Object Lock bucket (replicated to the DR region), the replica of the
 * archives' multi-Region key, the scheduled dump task and its alarms. Stateful (bucket, key).
 */
export class LogicalBackupStack extends EnvironmentStack {
  readonly bucket: LogicalBackupBucket;
  readonly dumpKey: kms.IKey;
  readonly job: LogicalBackupJob;
  readonly alarms: LogicalBackupAlarms;

  constructor(scope: Construct, id: string, props: LogicalBackupStackProps) {
    super(scope, id, props);
    const { config } = props;
    const l = config.logicalBackup;

    const replicaKey = new kms.CfnReplicaKey(this, 'DumpKey', {
      primaryKeyArn: props.drDumpKey.keyArn,
      description: `authdb ${config.name}: wraps the data keys of logical dump archives (replica in ${this.region})`,
      pendingWindowInDays: 30,
      // A replica key has a policy of its own: the same separation of administration from use as every key here.
      keyPolicy: keyPolicyFor(this, { administration: this.keyAdministration }),
    });
    replicaKey.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.dumpKey = kms.Key.fromKeyArn(this, 'DumpKeyReplica', replicaKey.attrArn);

    this.bucket = new LogicalBackupBucket(this, 'Dumps', {
      bucketName: dumpBucketName(config.name, this.account, this.region),
      keyAlias: `authdb-dr/${config.name}/logical-dump-bucket`,
      description: `authdb ${config.name}: bucket of the logical dumps (${config.primaryRegion})`,
      keyAdministration: this.keyAdministration,
      lockMode: l.objectLockMode,
      lockRetention: Duration.days(l.retentionDays),
      standardFor: Duration.days(l.standardDays),
      expireAfter: Duration.days(l.longTermRetentionDays),
      replicateTo: {
        bucket: s3.Bucket.fromBucketName(
          this,
          'ReplicaBucket',
          dumpBucketName(config.name, this.account, config.drRegion),
        ),
        // Imported by ARN: the replication role's grant then stays in its own policy here, instead of reaching into
        // the DR stack's key policy (which would make the two stacks depend on each other).
        key: kms.Key.fromKeyArn(this, 'ReplicaBucketKey', props.replicaBucketKey.keyArn),
      },
    });

    this.job = new LogicalBackupJob(this, 'Job', {
      environment: config.name,
      vpc: props.vpc,
      database: props.database,
      databaseName: config.database.databaseName,
      dumpRole: l.dumpRole,
      bucket: this.bucket.bucket,
      bucketKey: this.bucket.key,
      dumpKey: this.dumpKey,
      logKey: props.logKey,
      logRetention: config.logRetentionDays,
      schedule: l.schedule,
      scheduleTimeZone: l.scheduleTimeZone,
      cpu: l.cpu,
      memoryMiB: l.memoryMiB,
      ephemeralStorageGiB: l.ephemeralStorageGiB,
    });

    this.alarms = new LogicalBackupAlarms(this, 'Alarms', {
      environment: config.name,
      cluster: this.job.cluster,
      scheduleGroup: this.job.scheduleGroup,
      alertTopic: props.alertTopic,
      maxAge: Duration.hours(l.maxAgeHours),
    });

    // The four keys of the dumps, this region's and the DR region's (whose events its stack forwards here).
    new KeyAuditAlerts(this, 'KeyAuditAlerts', {
      topic: props.alertTopic,
      keys: [this.bucket.key, this.dumpKey, props.replicaBucketKey, props.drDumpKey],
    });

    new CfnOutput(this, 'DumpBucketName', {
      value: this.bucket.bucket.bucketName,
      description: 'Logical dumps: dumps/ENV/YYYY/MM/ID.dump.enc and ID.manifest.json (authdb-dr logical list)',
    });
  }
}
