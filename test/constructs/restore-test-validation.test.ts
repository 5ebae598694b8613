import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { templateOf } from '../support/app.js';

describe('RestoreTestValidation (prod recovery stack)', () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf('prod', 'recovery');
  }, 600_000);

  it('starts the validation state machine on every completed RDS restore job', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], resourceType: ['RDS'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ValidateRestoreTestsStateMachine') } })],
    });
  });

  it('lets the function reach the restore-test instances on 5432 only, with both rules in this stack', () => {
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { Description: 'restore test validation (read-only verifier role)', FromPort: 5432, ToPort: 5432 },
    });
    // One into the restore-test instances' group (imported from the backup stack), one into the database's.
    const groups = Object.values(ingress).map((r) => JSON.stringify(r.Properties.GroupId));
    expect(groups.some((g) => g.includes('Fn::ImportValue') && g.includes('backup'))).toBe(true);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      Description: 'restore-test instances',
      FromPort: 5432,
      ToPort: 5432,
      DestinationSecurityGroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('backup') },
    });
  });

  it('may describe and validate restore jobs and connect only as the verifier role', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('backup:PutRestoreValidationResult'),
    );
    expect(policies).toHaveLength(1);
    const statements = JSON.stringify(policies[0]?.Properties.PolicyDocument.Statement);
    expect(statements).toContain('"Action":["backup:DescribeRestoreJob","backup:PutRestoreValidationResult"]');
    expect(statements).toContain('dbuser:*/authdb_verifier');
    expect(statements).not.toContain('rds:Modify');
  });

  it('alarms on a validation that ends without a result and on a restore test that did not start one', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    expect(alarms).toContain('authdb-dr prod: a restore test validation ended without a result');
    expect(alarms).toContain('authdb-dr prod: a completed restore test did not start its validation');
  });
});
