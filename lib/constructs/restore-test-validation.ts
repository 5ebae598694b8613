import { Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { POSTGRES_PORT } from './auth-database.js';
import { postgresClientGroup, serverOf } from './database-parts.js';
import { workflowEnvironment } from './function-environment.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeInlinePolicy } from './nag.js';
import { validationAlarms } from './restore-test-validation/alarms.js';
import { validationStateMachine } from './restore-test-validation/definition.js';
import { grantValidation } from './restore-test-validation/permissions.js';
import type { RestoreTestValidationProps } from './restore-test-validation/props.js';
import { verifierEnvironment, verifierTimeout } from './workflow-parts/verifier.js';
import { workflowFunctions } from './workflow-parts.js';

export type { RestoreTestValidationProps } from './restore-test-validation/props.js';

/**
 * Validates every AWS Backup restore test of the database with our verifier: an EventBridge rule on a completed
 * restore job starts a small state machine that waits for the restored instance, checks schema, totals and freshness
 * against the recovery point, and records SUCCESSFUL or FAILED with AWS Backup (PutRestoreValidationResult). Every
 * path that cannot validate records FAILED; alarms catch executions that end without recording anything. The
 * permissions, the definition and the alarms live in restore-test-validation/.
 */
export class RestoreTestValidation extends Construct {
  readonly function: LambdaFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly securityGroup: ec2.SecurityGroup;
  readonly rule: events.Rule;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RestoreTestValidationProps) {
    super(scope, id);
    const db = props.database;

    this.securityGroup = postgresClientGroup(this, 'SecurityGroup', props.vpc, serverOf(db), {
      group: 'authdb restore test validation: PostgreSQL to the database and restore-test instances only',
      egress: 'production database',
      ingress: 'restore test validation (read-only verifier role)',
    });
    // Both rules in this stack, explicitly: the add*Rule methods would put one in the backup stack, which this stack
    // depends on (a cycle).
    const postgres = { ipProtocol: 'tcp', fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT };
    new ec2.CfnSecurityGroupEgress(this, 'RestoreTestEgress', {
      groupId: this.securityGroup.securityGroupId,
      destinationSecurityGroupId: props.restoreTestingSecurityGroup.securityGroupId,
      ...postgres,
      description: 'restore-test instances',
    });
    new ec2.CfnSecurityGroupIngress(this, 'RestoreTestIngress', {
      groupId: props.restoreTestingSecurityGroup.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ...postgres,
      description: 'restore test validation (read-only verifier role)',
    });

    const fn = workflowFunctions(this, props);
    this.function = fn(
      'restore-test-validation',
      'restore test validation (schema, totals, freshness; TLS, IAM auth)',
      {
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [this.securityGroup],
        timeout: verifierTimeout(props),
        environment: workflowEnvironment('restore-test-validation', {
          ...verifierEnvironment({ ...props, verifierUser: props.verifierRole }),
          RESTORE_TESTING_PLAN_ARN: props.restoreTestingPlanArn,
          SOURCE_HOST: db.instance.dbInstanceEndpointAddress,
          SOURCE_PORT: Token.asNumber(db.instance.dbInstanceEndpointPort),
          MAX_DATA_AGE_SECONDS: props.maxDataAge.toSeconds(),
          ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        }),
      },
    );
    grantValidation(this, props, this.function);
    this.stateMachine = validationStateMachine(this, props, this.function);

    this.rule = new events.Rule(this, 'RestoreTestCompleted', {
      description: 'A restore job of the database completed: validate it if it is one of our restore tests',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], resourceType: ['RDS'] },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
    this.alarms = validationAlarms(this, props, this.stateMachine, this.rule);
    // The role EventBridge assumes to start executions of this one state machine (CDK's SfnStateMachine target).
    acknowledgeInlinePolicy(this.stateMachine.node.findChild('EventsRole'));
  }
}
