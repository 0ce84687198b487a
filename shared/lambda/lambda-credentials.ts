/**
 * The SDK's default credential chain, as it runs in Lambda: the runtime hands every function its role's
 * credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which is the chain's
 * first link. serverless.yml aliases `@aws-sdk/credential-provider-node` to this file in the bundles
 * only, which leaves out the SSO, profile, process, web-identity and instance-metadata links and the STS
 * and SSO clients they carry (a quarter of a bundle). The CLI keeps the whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
