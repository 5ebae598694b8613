// The yardstick for synth time: a one-stack CDK app with one resource, synthesized by the same CLI and loader.
import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';

const app = new App();
new sns.Topic(new Stack(app, 'Bare'), 'Topic');
app.synth();
