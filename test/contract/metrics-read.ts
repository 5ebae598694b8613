import type { Template } from 'aws-cdk-lib/assertions';

/** One CloudWatch metric as CloudWatch identifies it: namespace, name and the full set of dimensions. */
export interface MetricId {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** What reads a metric: an alarm or a dashboard widget, by logical id. */
export interface MetricRead extends MetricId {
  readBy: string;
}

/** A CloudFormation value as text: intrinsic functions (Ref, GetAtt, ImportValue…) become `{token}` placeholders. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(text).join(join[0]);
    return '{token}';
  }
  throw new Error(`not a CloudFormation string: ${JSON.stringify(value)}`);
}

function dimensionsOf(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of (list ?? []) as { Name: string; Value: unknown }[]) out[d.Name] = text(d.Value);
  return out;
}

/** Every metric an AWS::CloudWatch::Alarm reads: its single metric, or each MetricStat of its Metrics array. */
export function alarmMetricReads(template: Template): MetricRead[] {
  const reads: MetricRead[] = [];
  for (const [id, alarm] of Object.entries(template.findResources('AWS::CloudWatch::Alarm'))) {
    const p = alarm.Properties as Record<string, unknown>;
    if (p.MetricName !== undefined) {
      reads.push({
        namespace: text(p.Namespace),
        name: text(p.MetricName),
        dimensions: dimensionsOf(p.Dimensions),
        readBy: `alarm ${id}`,
      });
    }
    for (const q of (p.Metrics ?? []) as { MetricStat?: { Metric: Record<string, unknown> } }[]) {
      if (!q.MetricStat) continue;
      const m = q.MetricStat.Metric;
      reads.push({
        namespace: text(m.Namespace),
        name: text(m.MetricName),
        dimensions: dimensionsOf(m.Dimensions),
        readBy: `alarm ${id}`,
      });
    }
  }
  return reads;
}

/**
 * Every metric a widget of an AWS::CloudWatch::Dashboard reads. The body is JSON built with Fn::Join; a metric is
 * `[namespace, name, dim1, value1, …, {options}?]` (math expressions are `[{expression}]` and read nothing here).
 */
export function dashboardMetricReads(template: Template): MetricRead[] {
  const reads: MetricRead[] = [];
  for (const [id, dashboard] of Object.entries(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const body = JSON.parse(text((dashboard.Properties as { DashboardBody: unknown }).DashboardBody)) as {
      widgets: { properties?: { metrics?: unknown[][]; title?: string } }[];
    };
    for (const widget of body.widgets) {
      for (const line of widget.properties?.metrics ?? []) {
        const parts = line.filter((p): p is string => typeof p === 'string');
        if (parts.length < 2) continue;
        if (parts.includes('.') || parts.includes('...')) {
          throw new Error(`dashboard ${id}: shorthand metric lines are not understood: ${JSON.stringify(line)}`);
        }
        const [namespace, name, ...rest] = parts as [string, string, ...string[]];
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]!] = rest[i + 1]!;
        reads.push({ namespace, name, dimensions, readBy: `dashboard ${id} widget "${widget.properties?.title}"` });
      }
    }
  }
  return reads;
}
