import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { acknowledgeWildcard } from '../nag.js';
import { allow, allowConnectAsVerifier } from '../workflow-parts/grants.js';
import type { RestoreTestValidationProps } from './props.js';

/** Connect as the read-only verifier, read and validate restore jobs, tell the alert topic; nothing else. */
export function grantValidation(scope: Construct, props: RestoreTestValidationProps, fn: LambdaFunction): void {
  allowConnectAsVerifier(scope, fn, props.verifierRole, undefined, 'Restore-test instances get new resource ids');
  allow(
    fn,
    new iam.PolicyStatement({
      sid: 'ReadAndValidateRestoreJobs',
      actions: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'],
      resources: ['*'],
    }),
    [
      'Resource::*',
      'DescribeRestoreJob and PutRestoreValidationResult support no resource-level permissions (restore jobs have ' +
        'no ARN); the function acts only on jobs of its own restore testing plan, checked in code.',
    ],
  );
  props.alertTopic.grantPublish(fn.role);
  acknowledgeWildcard(
    fn.role,
    'Action::kms:GenerateDataKey*',
    "CDK's grant to publish to the encrypted alert topic: the topic key only, which SNS needs to encrypt messages.",
  );
}
