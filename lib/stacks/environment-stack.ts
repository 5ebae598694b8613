import { Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema.js';
import type { KeyAdministration } from '../constructs/encryption-key.js';

export interface EnvironmentStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Availability zones of this stack's region, from config: synth does no lookup. */
  readonly zones: string[];
}

/** A stack of one environment, in one of its two regions, tagged with the environment and project. */
export class EnvironmentStack extends Stack {
  readonly config: EnvironmentConfig;
  private readonly zones: string[];
  private administration?: KeyAdministration;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    this.config = props.config;
    this.zones = props.zones;
    // CDK renders Tags on dashboards, which the CloudFormation schema (and cfn-lint) do not accept.
    const untaggable = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(this).add('project', 'authdb-dr', untaggable);
    Tags.of(this).add('environment', props.config.name, untaggable);
  }

  /**
   * The break-glass role (created by the backup stack) and the CDK bootstrap's CloudFormation execution role of this
   * stack's region, by name: the principals exempt from the key and vault policies' denies.
   */
  get keyAdministration(): KeyAdministration {
    const { backup: b } = this.config;
    this.administration ??= {
      breakGlassRole: iam.Role.fromRoleName(this, 'BreakGlassRole', b.breakGlassRoleName),
      deploymentRole: iam.Role.fromRoleName(
        this,
        'DeploymentRole',
        `cdk-${b.cdkBootstrapQualifier}-cfn-exec-role-${this.account}-${this.region}`,
      ),
    };
    return this.administration;
  }

  override get availabilityZones(): string[] {
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'Literal zones come from the validated config on purpose: synth must not look them up.',
    });
    return this.zones;
  }
}
