import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EncryptionKey, type KeyAdministration } from './encryption-key.js';

/** RDS event categories that mean the database failed, recovered, was restored or had a backup problem. */
export const DATABASE_EVENT_CATEGORIES = ['failure', 'recovery', 'restoration', 'backup'] as const;

const field = (path: string) => events.EventField.fromPath(`$.detail.${path}`);

/**
 * One EventBridge rule a job type. AWS Backup's vault notifications BACKUP_JOB_FAILED / RESTORE_JOB_FAILED are
 * deprecated and send nothing, so failures are taken from EventBridge. Each message is written for its own event:
 * backup and copy jobs report `detail.state`, restore jobs `detail.status`.
 */
export const JOB_ALERTS = [
  {
    id: 'BackupJobFailed',
    detailType: 'Backup Job State Change',
    detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'] },
    message: () =>
      `AWS Backup job ${field('backupJobId')} ${field('state')} in ${events.EventField.account}/` +
      `${events.EventField.region} at ${events.EventField.time}. Resource: ${field('resourceType')} ` +
      `${field('resourceArn')}, vault ${field('backupVaultName')}. Reason: ${field('statusMessage')}`,
  },
  {
    id: 'CopyJobFailed',
    detailType: 'Copy Job State Change',
    detail: { state: ['FAILED'] },
    message: () =>
      `AWS Backup copy job ${field('copyJobId')} ${field('state')} in ${events.EventField.account}/` +
      `${events.EventField.region} at ${events.EventField.time}. Resource: ${field('resourceType')} ` +
      `${field('resourceArn')}, from ${field('sourceBackupVaultArn')} to ${field('destinationBackupVaultArn')}. ` +
      `Reason: ${field('statusMessage')}`,
  },
  {
    id: 'RestoreJobFailed',
    detailType: 'Restore Job State Change',
    detail: { status: ['FAILED'] },
    message: () =>
      `AWS Backup restore job ${field('restoreJobId')} ${field('status')} in ${events.EventField.account}/` +
      `${events.EventField.region} at ${events.EventField.time}. Resource: ${field('resourceType')} from ` +
      `recovery point ${field('recoveryPointArn')} (restore testing plan: ${field('restoreTestingPlanArn')}). ` +
      `Reason: ${field('statusMessage')}`,
  },
] as const;

export interface BackupAlertsProps {
  readonly topicName: string;
  /** Alias of the topic's key, without the `alias/` prefix. */
  readonly keyAlias: string;
  /** Addresses subscribed to the topic; each must confirm the subscription e-mail once. */
  readonly emails: string[];
  /** The database whose failure, recovery, restoration and backup events are sent. */
  readonly database: rds.IDatabaseInstance;
  readonly eventSubscriptionName: string;
  /** The roles exempt from the denies of the topic key's policy. */
  readonly keyAdministration: KeyAdministration;
}

/**
 * Where backup trouble reaches people: an SNS topic encrypted with its own key (TLS only) with e-mail
 * subscriptions, fed by EventBridge rules on failed AWS Backup jobs and by an RDS event subscription.
 */
export class BackupAlerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: BackupAlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new EncryptionKey(this, 'Key', {
      alias: props.keyAlias,
      description: `${props.topicName}: messages of the backup alerts topic`,
      administration: props.keyAdministration,
    }).key;
    this.topic = new sns.Topic(this, 'Resource', {
      topicName: props.topicName,
      displayName: 'authdb-dr backup alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    // EventBridge publishes with a topic-policy statement and may use the key (added by the SnsTopic target).
    for (const alert of JOB_ALERTS) {
      new events.Rule(this, alert.id, {
        description: `${alert.detailType}: ${Object.values(alert.detail)[0]!.join(', ')} -> ${props.topicName}`,
        eventPattern: { source: ['aws.backup'], detailType: [alert.detailType], detail: alert.detail },
        targets: [new targets.SnsTopic(this.topic, { message: events.RuleTargetInput.fromText(alert.message()) })],
      });
    }

    // RDS event notifications: the service publishes for this account only, and needs the key to do so.
    const rdsEvents = new iam.ServicePrincipal('events.rds.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRdsEventNotifications',
        principals: [rdsEvents],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRdsEventNotifications',
        principals: [rdsEvents],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    new rds.CfnEventSubscription(this, 'DatabaseEvents', {
      subscriptionName: props.eventSubscriptionName,
      snsTopicArn: this.topic.topicArn,
      sourceType: 'db-instance',
      sourceIds: [props.database.instanceIdentifier],
      eventCategories: [...DATABASE_EVENT_CATEGORIES],
      enabled: true,
    });
  }
}
