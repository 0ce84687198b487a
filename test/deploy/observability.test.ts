/**
 * resources/observability.yml as deployed: packaged by `serverless package` with notifications off
 * (the default) and on, both passing cfn-lint; the dashboard reads the metrics the evaluate function
 * publishes; the alarms watch the rules that match the failure events; the notification templates
 * only use fields every lifecycle event has, and the chat template is valid JSON for AWS Chatbot.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEVERITY } from '../../shared/aws/events';
import { LifecycleEventSchemas } from '../../shared/core/event-schemas';
import { METRICS_NAMESPACE } from '../../shared/lambda/check-metrics';
import { packageService } from './support/stack';

const exec = promisify(execFile);

type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
interface Template {
  Mappings: Record<string, Record<string, Record<string, unknown>>>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, Resource>;
}

/** The template `serverless package` builds with these `--param`s (`key=value`). */
async function packageWith(params: string[]): Promise<{ template: Template; file: string }> {
  const out = mkdtempSync(join(tmpdir(), 'fledge-observability-'));
  await packageService(out, 'ci', Object.fromEntries(params.map((p) => p.split(/=(.*)/s).slice(0, 2))));
  const file = join(out, 'cloudformation-template-update-stack.json');
  return { template: JSON.parse(readFileSync(file, 'utf8')) as Template, file };
}

async function cfnLint(file: string): Promise<{ code: number; stdout: string }> {
  return exec('cfn-lint', [file]).then(
    () => ({ code: 0, stdout: '' }),
    (e: { code: number; stdout: string }) => e,
  );
}

/** Fn::Sub's text with ${…} replaced by sample values (a one-element form or [text, map]). */
function substitute(sub: unknown, values: Record<string, string> = {}): string {
  const [text, map] = Array.isArray(sub) ? sub : [sub, {}];
  const names = {
    ...Object.fromEntries(Object.keys(map as object).map((k) => [k, 'console.aws.amazon.com'])),
    ...values,
  };
  return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => names[name] ?? `SUB(${name})`);
}

/** An input template with each <variable> filled from a real event. */
function fill(template: string, event: Record<string, unknown>, paths: Record<string, string>): string {
  return template.replace(/<([A-Za-z0-9]+)>/g, (_, name: string) => {
    const path = paths[name];
    if (!path) throw new Error(`the template uses <${name}>, which InputPathsMap does not define`);
    let value: unknown = event;
    for (const key of path.slice(2).split('.')) value = (value as Record<string, unknown>)?.[key];
    return String(value);
  });
}

const docsExample = (detailType: string): Record<string, unknown> => {
  const text = readFileSync(new URL('../../docs/EVENTS.md', import.meta.url), 'utf8');
  const section = text.split(/^### /m).find((s) => s.startsWith(`\`${detailType}\``)) ?? '';
  return JSON.parse(/```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '{}');
};

describe('observability resources', () => {
  let off: { template: Template; file: string };
  let on: { template: Template; file: string };

  beforeAll(async () => {
    off = await packageWith([]);
    on = await packageWith([
      'notifications=medium',
      'notificationEmail=ops@example.com',
      'slackWorkspaceId=T0123ABCD',
      'slackChannelId=C0123ABCD',
    ]);
  });

  it('pass cfn-lint with notifications off and on', async () => {
    for (const { file } of [off, on]) {
      const result = await cfnLint(file);

      expect(result.stdout).not.toMatch(/^E\d{4}/m);
      expect(result.code & 2).toBe(0);
    }
  }, 120_000); // cfn-lint takes about 10 s a template on two idle cores

  it('create notifications only when asked, at or above the chosen severity', () => {
    const level = (t: Template) => {
      const equals = (t.Conditions.FledgeNotify as { 'Fn::Equals': [{ 'Fn::FindInMap': string[] }, string] })[
        'Fn::Equals'
      ];
      const key = equals[0]['Fn::FindInMap'][1] ?? '';
      return t.Mappings.FledgeNotificationLevels?.[key] as { enabled: string; severities: string[] };
    };
    const notifying = Object.entries(on.template.Resources).filter(([, r]) =>
      r.Condition?.startsWith('FledgeNotify'),
    );

    expect(level(off.template).enabled).toBe('false');
    expect(level(on.template)).toEqual({ enabled: 'true', severities: ['high', 'medium'] });
    expect(notifying.map(([id]) => id).sort()).toEqual([
      'FledgeChatTopic',
      'FledgeChatbotRole',
      'FledgeNotificationEmail',
      'FledgeNotificationRule',
      'FledgeNotificationTopic',
      'FledgeNotificationTopicPolicy',
      'FledgeSlackChannel',
    ]);
    expect(on.template.Resources.FledgeNotificationEmail?.Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(on.template.Resources.FledgeSlackChannel?.Properties).toMatchObject({
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
    });
    // The lowest level sends every severity fledge uses.
    expect(on.template.Mappings.FledgeNotificationLevels?.low?.severities).toEqual(
      expect.arrayContaining([...new Set(Object.values(SEVERITY))]),
    );
  });

  it('turn a real event into a readable e-mail and a valid Chatbot message, with links to the execution and the report', () => {
    const rule = on.template.Resources.FledgeNotificationRule?.Properties as {
      EventPattern: { source: string[]; detail: { severity: unknown } };
      Targets: Array<{
        Id: string;
        InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: unknown };
      }>;
    };
    const event = docsExample('Canary Rolled Back');
    const detail = event.detail as Record<string, string>;
    const always = ['executionId', 'severity', 'summary'];

    expect(rule.EventPattern.source).toEqual(['fledge']);
    for (const target of rule.Targets) {
      const paths = Object.values(target.InputTransformer.InputPathsMap).filter((p) =>
        p.startsWith('$.detail.'),
      );
      // Only fields every detail-type's schema requires, so no event loses a line.
      for (const path of paths) {
        const field = path.slice('$.detail.'.length);
        expect(always).toContain(field);
        for (const schema of Object.values(LifecycleEventSchemas)) expect(schema.shape).toHaveProperty(field);
      }
    }
    const [email, chat] = rule.Targets.map((t) =>
      fill(
        substitute((t.InputTransformer.InputTemplate as { 'Fn::Sub': unknown })['Fn::Sub']),
        event,
        t.InputTransformer.InputPathsMap,
      ),
    );
    const execution = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${detail.executionId}`;

    expect(email?.split('\n')).toEqual([
      '"[fledge ci, high] Canary Rolled Back"',
      `"${detail.summary}"`,
      `"Execution: ${execution}"`,
      `"Report: npx fledge report --execution ${detail.executionId}"`,
    ]);
    expect(JSON.parse(chat ?? '')).toEqual({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: 'fledge ci: Canary Rolled Back (high)',
        description: detail.summary,
        nextSteps: [
          `Execution: ${execution}`,
          `Report: \`npx fledge report --execution ${detail.executionId}\``,
        ],
        keywords: ['fledge', 'high'],
      },
      metadata: {
        threadId: detail.executionId,
        summary: detail.summary,
        eventType: 'Canary Rolled Back',
        additionalContext: { severity: 'high' },
      },
    });
  });

  // Every end that may leave traffic split: a failed rollback, a failed recovery, and a conflict, which
  // fledge always leaves as the other writer set it.
  const SPLIT_ENDS = [
    ['FledgeRollbackFailedAlarm', 'FledgeRollbackFailedRule', 'Canary Rollback Failed', 'rollback-failed'],
    ['FledgeRecoveryFailedAlarm', 'FledgeRecoveryFailedRule', 'Canary Recovery Failed', 'recovery-failed'],
    [
      'FledgeTrafficConflictAlarm',
      'FledgeTrafficConflictRule',
      'Canary Traffic Conflict',
      'traffic-conflict',
    ],
  ] as const;

  it('alarm on the first Rollback Failed, Recovery Failed and Traffic Conflict event, and notify with them', () => {
    const resources = off.template.Resources;
    for (const [alarmId, ruleId, detailType, name] of SPLIT_ENDS) {
      const alarm = resources[alarmId]?.Properties;
      const rule = resources[ruleId]?.Properties as {
        Name: string;
        EventPattern: unknown;
        Targets: unknown[];
      };

      expect(rule.EventPattern).toEqual({ source: ['fledge'], 'detail-type': [detailType] });
      expect(rule.Targets).toHaveLength(1);
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Events',
        MetricName: 'TriggeredRules',
        Dimensions: [{ Name: 'RuleName', Value: rule.Name }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm?.AlarmName).toBe(`fledge-ci-${name}`);
      expect(rule.Name).toBe(`fledge-ci-${name}`);
      expect(SEVERITY[detailType]).toBe('high');
      expect(on.template.Resources[alarmId]?.Properties.AlarmActions).toEqual({
        'Fn::If': [
          'FledgeNotify',
          [{ Ref: 'FledgeNotificationTopic' }, { Ref: 'FledgeChatTopic' }],
          { Ref: 'AWS::NoValue' },
        ],
      });
    }
  });

  it('alarm when the recover function itself keeps failing, which no event would say', () => {
    const resources = off.template.Resources;
    const alarm = resources.FledgeRecoveryErrorsAlarm?.Properties;
    const recover = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName).endsWith('-recover'),
    );

    expect(recover?.Properties.FunctionName).toBe('fledge-ci-recover');
    expect(alarm).toMatchObject({
      AlarmName: 'fledge-ci-recovery-errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: recover?.Properties.FunctionName }],
      Statistic: 'Sum',
      // The sweep runs every 5 minutes: three failing periods in a row, not one throttled sweep.
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(on.template.Resources.FledgeRecoveryErrorsAlarm?.Properties.AlarmActions).toEqual({
      'Fn::If': [
        'FledgeNotify',
        [{ Ref: 'FledgeNotificationTopic' }, { Ref: 'FledgeChatTopic' }],
        { Ref: 'AWS::NoValue' },
      ],
    });
  });

  it('draw a dashboard from the metrics the checks publish and the functions that log outcomes', () => {
    const resources = off.template.Resources;
    const body = JSON.parse(
      substitute(
        resources.FledgeDashboard?.Properties.DashboardBody &&
          (resources.FledgeDashboard.Properties.DashboardBody as { 'Fn::Sub': unknown })['Fn::Sub'],
        {
          'AWS::Region': 'us-east-1',
          'AWS::Partition': 'aws',
          'AWS::AccountId': '123456789012',
        },
      ),
    ) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> };
    const text = JSON.stringify(body);
    const searched = [...text.matchAll(/SEARCH\('\{(\w+),[^}]*\} MetricName=\\"(\w+)\\"/g)].map((m) => [
      m[1],
      m[2],
    ]);
    const functionNames = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.FunctionName);
    const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');

    expect(searched).toEqual(
      ['CanaryWeight', 'CanaryErrorRate', 'BaselineErrorRate', 'Evidence', 'EvidenceThreshold', 'Checks'].map(
        (m) => [METRICS_NAMESPACE, m],
      ),
    );
    for (const [, group] of text.matchAll(/SOURCE '\/aws\/lambda\/([\w-]+)'/g))
      expect(functionNames).toContain(group);
    expect(text).toContain(`stateMachine:${machine?.Properties.StateMachineName}`);
    for (const [, , , name] of SPLIT_ENDS) expect(text).toContain(`alarm:fledge-ci-${name}`);
    expect(text).toContain('alarm:fledge-ci-recovery-errors');
    // A release's checks print a line per target: the table keeps a row for each, not the last one's.
    expect(text).toMatch(/ by executionId, Target \|/);
    expect(body.widgets.map((w) => w.type)).toEqual([
      'text',
      'log',
      'metric',
      'metric',
      'metric',
      'metric',
      'metric',
      'alarm',
      'log',
    ]);
  });
});
