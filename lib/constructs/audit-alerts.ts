import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeInlinePolicy } from './nag.js';

/** Key calls that destroy a key or open it up, alerted on whoever makes them, failed attempts included. */
export const KEY_CHANGE_EVENTS = ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy'] as const;

/** AWS Backup calls that weaken the backups of the account (any vault or plan), failed attempts included. */
export const BACKUP_CHANGE_EVENTS = [
  'DeleteBackupPlan',
  'DeleteBackupSelection',
  'PutBackupVaultAccessPolicy',
  'DeleteBackupVaultAccessPolicy',
  'DeleteBackupVaultLockConfiguration',
  'StopBackupJob',
] as const;

/** Calls on the production instance alerted on (each is also what a cutover or an attacker does). */
export const DATABASE_CHANGE_EVENTS = ['ModifyDBInstance', 'DeleteDBInstance', 'RebootDBInstance'] as const;

const API_CALL = 'AWS API Call via CloudTrail';
const detail = (path: string) => events.EventField.fromPath(`$.detail.${path}`);

/** Who did what, where, and whether it failed: the same readable line for every CloudTrail alert. */
export function apiCallMessage(what: string): events.RuleTargetInput {
  return events.RuleTargetInput.fromText(
    `${what}: ${detail('eventName')} by ${detail('userIdentity.arn')} (${detail('userIdentity.type')}) in ` +
      `${events.EventField.account}/${events.EventField.region} at ${detail('eventTime')} from ` +
      `${detail('sourceIPAddress')}. Error: ${detail('errorCode')} ${detail('errorMessage')}. ` +
      `Request: ${detail('requestParameters')}`,
  );
}

/** An event pattern on CloudTrail management events of one service. */
export function apiCallPattern(
  service: string,
  eventNames: readonly string[],
  more: Record<string, unknown> = {},
): events.EventPattern {
  return {
    source: [`aws.${service}`],
    detailType: [API_CALL],
    detail: { eventSource: [`${service}.amazonaws.com`], eventName: [...eventNames], ...more },
  };
}

/** The audit patterns of keys: changes to them, and grants on them not made by a service. */
export function keyAuditPatterns(keys: kms.IKey[]): Record<string, events.EventPattern> {
  const keyArns = keys.map((key) => key.keyArn);
  return {
    KeyChanged: apiCallPattern('kms', KEY_CHANGE_EVENTS, { resources: { ARN: keyArns } }),
    // A service creating a grant for a resource it encrypts (RDS, AWS Backup) records invokedBy; a person does not.
    KeyGrantedByPerson: apiCallPattern('kms', ['CreateGrant'], {
      resources: { ARN: keyArns },
      userIdentity: { invokedBy: events.Match.doesNotExist() },
    }),
  };
}

/** The audit patterns of one region: changes to its keys, key grants not made by a service, backup changes. */
export function regionalAuditPatterns(keys: kms.IKey[]): Record<string, events.EventPattern> {
  return {
    ...keyAuditPatterns(keys),
    BackupChanged: apiCallPattern('backup', BACKUP_CHANGE_EVENTS),
    RecoveryPointDeletionFailed: apiCallPattern('backup', ['DeleteRecoveryPoint'], {
      errorCode: events.Match.exists(),
    }),
  };
}

const DESCRIPTIONS: Record<string, string> = {
  KeyChanged: `${KEY_CHANGE_EVENTS.join(', ')} on a key of this environment`,
  KeyGrantedByPerson: 'CreateGrant on a key of this environment not made by an AWS service',
  BackupChanged: `${BACKUP_CHANGE_EVENTS.join(', ')} in this region`,
  RecoveryPointDeletionFailed: 'a failed DeleteRecoveryPoint in this region',
  DatabaseChanged: `${DATABASE_CHANGE_EVENTS.join(', ')} on the production instance`,
};

export interface AuditAlertsProps {
  readonly topic: sns.ITopic;
  /** The keys of this region (the DR region's arrive through `AuditEventForwarder`, so list them too). */
  readonly keys: kms.IKey[];
  /** The production instance id: calls naming it as instance or as new name are alerted on. */
  readonly databaseInstanceId: string;
}

/**
 * The audit trail's alarms: EventBridge rules on CloudTrail management events (failed attempts included) that send a
 * readable line to the alert topic: any ScheduleKeyDeletion / DisableKey / PutKeyPolicy on the environment's keys, a
 * CreateGrant on them not made by an AWS service, backup plan / selection / vault policy / vault lock deletions and
 * stopped backup jobs, failed recovery-point deletions, and Modify / Delete / Reboot of the production instance.
 * CloudTrail delivers management events to EventBridge in the region of the call: the DR region forwards its own.
 */
export class AuditAlerts extends Construct {
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: AuditAlertsProps) {
    super(scope, id);
    const patterns: Record<string, events.EventPattern> = {
      ...regionalAuditPatterns(props.keys),
      DatabaseChanged: apiCallPattern('rds', DATABASE_CHANGE_EVENTS, {
        // RDS treats instance ids case-insensitively; a rename onto the production name counts too.
        $or: [
          { requestParameters: { dBInstanceIdentifier: events.Match.equalsIgnoreCase(props.databaseInstanceId) } },
          { requestParameters: { newDBInstanceIdentifier: events.Match.equalsIgnoreCase(props.databaseInstanceId) } },
        ],
      }),
    };
    for (const [ruleId, eventPattern] of Object.entries(patterns)) {
      this.rules[ruleId] = new events.Rule(this, ruleId, {
        description: `authdb-dr audit: ${DESCRIPTIONS[ruleId]} -> alert topic`,
        eventPattern,
        targets: [new targets.SnsTopic(props.topic, { message: apiCallMessage(DESCRIPTIONS[ruleId]!) })],
      });
    }
  }
}

export interface AuditEventForwarderProps {
  /** The keys of this (DR) region. */
  readonly keys: kms.IKey[];
  /** The region whose default event bus holds the alert rules. */
  readonly alertRegion: string;
  /** Forward the region's backup events too (once per region), or only those of `keys`. @default true */
  readonly backupEvents?: boolean;
}

/**
 * Forwards the audit events of a second region (its keys and vault) to the default event bus of the alert region,
 * where `AuditAlerts` sends them to the topic: one topic, one set of subscriptions.
 */
export class AuditEventForwarder extends Construct {
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: AuditEventForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const bus = events.EventBus.fromEventBusArn(
      this,
      'AlertRegionBus',
      `arn:${stack.partition}:events:${props.alertRegion}:${stack.account}:event-bus/default`,
    );
    // One role for all the rules, allowed only to put events on that one bus.
    const role = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `authdb-dr: forwards audit events of ${stack.region} to the ${props.alertRegion} default event bus`,
    });
    const target = new targets.EventBus(bus, { role });
    const patterns = props.backupEvents === false ? keyAuditPatterns(props.keys) : regionalAuditPatterns(props.keys);
    for (const [ruleId, eventPattern] of Object.entries(patterns)) {
      this.rules[ruleId] = new events.Rule(this, ruleId, {
        description: `authdb-dr audit: ${DESCRIPTIONS[ruleId]} -> ${props.alertRegion} default event bus`,
        eventPattern,
        targets: [target],
      });
    }
    acknowledgeInlinePolicy(role);
  }
}

export interface KeyAuditAlertsProps {
  readonly topic: sns.ITopic;
  /** The keys watched: this region's, and those of the DR region whose events a forwarder brings here. */
  readonly keys: kms.IKey[];
}

/** `AuditAlerts`' key rules for the keys of a stack deployed after the backup stack (the logical dumps' keys). */
export class KeyAuditAlerts extends Construct {
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: KeyAuditAlertsProps) {
    super(scope, id);
    for (const [ruleId, eventPattern] of Object.entries(keyAuditPatterns(props.keys))) {
      this.rules[ruleId] = new events.Rule(this, ruleId, {
        description: `authdb-dr audit: ${DESCRIPTIONS[ruleId]} -> alert topic`,
        eventPattern,
        targets: [new targets.SnsTopic(props.topic, { message: apiCallMessage(DESCRIPTIONS[ruleId]!) })],
      });
    }
  }
}
