/**
 * An Application Load Balancer with a listener rule whose forward action holds a stable and a canary
 * target group (weights 1 and 0), each with a healthy registered instance: the setting of an
 * `elb-weighted` release, for the emulator (tests and the demo).
 */
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';

export interface ElbSetting {
  listenerArn: string;
  ruleArn: string;
  stable: string;
  canary: string;
}

/**
 * `name`'s load balancer, listener and rule. The rule keeps an authenticate action before the forward
 * action, and stickiness off, so a test can check fledge writes both back as read.
 */
export async function createWeightedRule(
  name: string,
  options: { canaryHealthy?: boolean } = {},
): Promise<ElbSetting> {
  const ec2 = new EC2Client({});
  const elb = new ElasticLoadBalancingV2Client({});
  try {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const subnets = await Promise.all(
      ['a', 'b'].map(async (az, i) => {
        const subnet = await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: `10.0.${i}.0/24`,
            AvailabilityZone: `us-east-1${az}`,
          }),
        );
        return subnet.Subnet?.SubnetId ?? '';
      }),
    );
    const lb = await elb.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets }));
    const group = async (side: string) => {
      const created = await elb.send(
        new CreateTargetGroupCommand({ Name: `${name}-${side}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId }),
      );
      return created.TargetGroups?.[0]?.TargetGroupArn ?? '';
    };
    const stable = await group('blue');
    const canary = await group('green');
    const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
    const instance = async () =>
      (await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }))).Instances?.[0]
        ?.InstanceId ?? '';
    await elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: stable, Targets: [{ Id: await instance() }] }),
    );
    if (options.canaryHealthy !== false) {
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: canary, Targets: [{ Id: await instance() }] }),
      );
    }
    const listener = await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );
    const rule = await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener.Listeners?.[0]?.ListenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: [
          {
            Type: 'authenticate-cognito',
            Order: 1,
            AuthenticateCognitoConfig: {
              UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_example',
              UserPoolClientId: 'shop',
              UserPoolDomain: 'shop-example',
            },
          },
          {
            Type: 'forward',
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: stable, Weight: 1 },
                { TargetGroupArn: canary, Weight: 0 },
              ],
              TargetGroupStickinessConfig: { Enabled: false },
            },
          },
        ],
      }),
    );
    return {
      listenerArn: listener.Listeners?.[0]?.ListenerArn ?? '',
      ruleArn: rule.Rules?.[0]?.RuleArn ?? '',
      stable,
      canary,
    };
  } finally {
    ec2.destroy();
    elb.destroy();
  }
}

/** The rule's actions as ELB describes them now. */
export async function ruleActions(ruleArn: string): Promise<Action[]> {
  const elb = new ElasticLoadBalancingV2Client({});
  try {
    return (await elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules?.[0]?.Actions ?? [];
  } finally {
    elb.destroy();
  }
}

/** Each target group's weight in the rule's forward action, by the group's name. */
export async function ruleWeights(ruleArn: string): Promise<Record<string, number>> {
  const forward = (await ruleActions(ruleArn)).find((a) => a.Type === 'forward');
  return Object.fromEntries(
    (forward?.ForwardConfig?.TargetGroups ?? []).map((g) => [
      g.TargetGroupArn?.split('/')[1] ?? '',
      g.Weight ?? 0,
    ]),
  );
}
