import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface EncryptionKeyProps {
  /** Alias without the `alias/` prefix. */
  readonly alias: string;
  readonly description: string;
}

/**
 * A customer-managed KMS key with yearly rotation that outlives its stack: data encrypted with it
 * (snapshots, recovery points, logs) would be lost with the key.
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Resource', {
      alias: `alias/${props.alias}`,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
  }
}
