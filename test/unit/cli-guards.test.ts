/**
 * The CLI's guards around a real account: which endpoints are emulators, and when the confirmation asks,
 * proceeds or refuses. The whole commands are tested in test/integration/cli-contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AwsSetup } from '../../cli/shared/aws-setup';
import { confirmTrafficChange, type Terminal } from '../../cli/shared/confirm';
import { awsEndpoint } from '../../cli/shared/endpoint';

describe('awsEndpoint', () => {
  it.each([
    [{}, false],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, true],
    [{ AWS_ENDPOINT_URL: 'http://localhost:4566' }, true],
    [{ AWS_ENDPOINT_URL: 'http://[::1]:5000' }, true],
    [{ AWS_ENDPOINT_URL: 'http://127.3.2.1:5000' }, true],
    [{ AWS_ENDPOINT_URL: 'https://lambda.eu-west-1.amazonaws.com' }, false],
    [{ AWS_ENDPOINT_URL: 'http://10.0.0.5:4566' }, false],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1.example.com:5000' }, false],
    [
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_LAMBDA: 'https://lambda.amazonaws.com' },
      false,
    ],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', FLEDGE_EMULATOR: 'false' }, false],
    [{ AWS_ENDPOINT_URL: 'http://localstack:4566', FLEDGE_EMULATOR: 'true' }, true],
    // Without an endpoint the SDK calls AWS, whatever FLEDGE_EMULATOR says.
    [{ FLEDGE_EMULATOR: 'true' }, false],
    // The SDK then ignores every configured endpoint and calls AWS.
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, false],
  ])('%j is an emulator: %s', (env, emulator) => {
    expect(awsEndpoint(env).emulator).toBe(emulator);
  });

  describe('from the shared config file, as the SDK reads it', () => {
    const config = {
      default: { region: 'eu-west-1' },
      emu: { endpoint_url: 'http://127.0.0.1:5000' },
      ignoring: { endpoint_url: 'http://127.0.0.1:5000', ignore_configured_endpoint_urls: 'true' },
      mixed: { endpoint_url: 'http://127.0.0.1:5000', services: 'real-lambda' },
      'services.real-lambda': { 'lambda.endpoint_url': 'https://lambda.eu-west-1.amazonaws.com' },
      'only-lambda': { services: 'local-lambda' },
      'services.local-lambda': { 'lambda.endpoint_url': 'http://127.0.0.1:5000' },
    };

    it.each([
      [{ AWS_PROFILE: 'emu' }, true, 'http://127.0.0.1:5000'],
      [{}, false, undefined],
      [{ AWS_PROFILE: 'ignoring' }, false, undefined],
      [{ AWS_PROFILE: 'emu', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, false, undefined],
      // Lambda goes to AWS: the traffic fledge moves would be real.
      [{ AWS_PROFILE: 'mixed' }, false, 'http://127.0.0.1:5000'],
      // The environment wins over the services section.
      [{ AWS_PROFILE: 'mixed', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, true, 'http://127.0.0.1:5000'],
      // Only Lambda is local; the other services are AWS.
      [{ AWS_PROFILE: 'only-lambda' }, false, 'http://127.0.0.1:5000'],
      [{ AWS_PROFILE: 'emu', FLEDGE_EMULATOR: 'false' }, false, 'http://127.0.0.1:5000'],
    ])('%j is an emulator: %s (endpoint %s)', (env, emulator, url) => {
      const endpoint = awsEndpoint(env, config);

      expect(endpoint.emulator).toBe(emulator);
      expect(endpoint.url).toBe(url);
    });
  });
});

describe('confirmTrafficChange', () => {
  const aws: AwsSetup = { region: 'eu-west-1', endpoint: { emulator: false, name: 'AWS' } };
  const account = async () => ({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/ana' });

  function terminal(interactive: boolean, answer = '') {
    const printed: string[] = [];
    const asked: string[] = [];
    const t: Terminal = {
      interactive,
      print: (line) => printed.push(line),
      ask: async (question) => {
        asked.push(question);
        return answer;
      },
    };
    return { t, printed, asked };
  }
  const change = (yes: boolean) => ({ action: 'run a rollout of alias checkout:live (version 7)', yes });

  it('asks nothing against an emulator', async () => {
    const { t, printed, asked } = terminal(false);

    await confirmTrafficChange(
      change(false),
      { ...aws, endpoint: { emulator: true, name: 'moto' } },
      t,
      account,
    );

    expect([printed, asked]).toEqual([[], []]);
  });

  it('names account, region and target, then goes ahead with --yes without asking', async () => {
    const { t, printed, asked } = terminal(false);

    await confirmTrafficChange(change(true), aws, t, account);

    expect(printed).toEqual([
      'fledge: about to run a rollout of alias checkout:live (version 7) in AWS account 123456789012 (arn:aws:iam::123456789012:user/ana), region eu-west-1.',
    ]);
    expect(asked).toEqual([]);
  });

  it('refuses without --yes when there is no terminal to ask', async () => {
    const { t } = terminal(false);

    await expect(confirmTrafficChange(change(false), aws, t, account)).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(/account 123456789012 \(eu-west-1\) and stdin is not a terminal.*--yes/),
    });
  });

  it.each([
    ['y', true],
    ['yes', true],
    ['Y', true],
    ['', false],
    ['n', false],
    ['sure', false],
  ])('at a terminal, answer %j goes ahead: %s', async (answer, goes) => {
    const { t, asked } = terminal(true, answer);

    const result = confirmTrafficChange(change(false), aws, t, account);

    if (goes) await expect(result).resolves.toBeUndefined();
    else await expect(result).rejects.toMatchObject({ name: 'RefusedError', message: /not confirmed/ });
    expect(asked).toEqual(['Go ahead? [y/N] ']);
  });

  it('refuses when it cannot tell which account the credentials act in', async () => {
    const { t } = terminal(true, 'y');
    const expired = async () => {
      throw Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
      });
    };

    await expect(confirmTrafficChange(change(true), aws, t, expired)).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(/could not tell which AWS account .*expired.*aws sso login/),
    });
  });
});
