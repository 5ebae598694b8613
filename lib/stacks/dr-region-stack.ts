import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { EncryptionKey } from '../constructs/encryption-key.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

/** Stateful resources in the DR region: the key of the replicated automated backups. */
export class DrRegionStack extends EnvironmentStack {
  /** Encrypts the database's automated backups replicated into this region. */
  readonly replicationKey: kms.IKey;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    this.replicationKey = new EncryptionKey(this, 'ReplicationKey', {
      alias: `authdb-dr/${props.config.name}/replicated-backups`,
      description: `authdb ${props.config.name}: automated backups replicated from ${props.config.primaryRegion}`,
    }).key;
  }
}
