// Credentials: fake keys of each provider's documented shape (built from repeated EXAMPLE parts, and
// AWS's and jwt.io's published examples) are found with their provider; near misses, prose that
// shares a prefix, public keys, certificates and hashes are not.
import { describe, expect, it } from 'vitest';
import { detectSecrets } from './secret.js';

const fake = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const pemBody = `${fake('EXAMPLEkey0+/', 64)}\n${fake('EXAMPLEkey0+/', 64)}\n${fake('Zm9v', 20)}==`;
const pemBlock = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
const openSsh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----`;
const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${pemBody}\n-----END PGP PRIVATE KEY BLOCK-----`;
const truncated = `-----BEGIN PRIVATE KEY-----\n${fake('EXAMPLEkey0+/', 64)}\n${fake('EXAMPLEkey1+/', 64)}`;

const found: Array<[text: string, secret: string, provider: string]> = [
  ['OPENAI_API_KEY=sk-proj-' + fake('EXAMPLE0', 48), 'sk-proj-' + fake('EXAMPLE0', 48), 'openai'],
  ['key sk-' + fake('Example12', 48) + ' rotated', 'sk-' + fake('Example12', 48), 'openai'],
  ['sk-ant-api03-' + fake('EXAMPLE_0-', 90), 'sk-ant-api03-' + fake('EXAMPLE_0-', 90), 'anthropic'],
  ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'aws'],
  ['split AKIAIOSF\u200BODNN7EXAMPLE', 'AKIAIOSF\u200BODNN7EXAMPLE', 'aws'],
  ['"ASIA' + fake('EXAMPLE1', 16) + '"', 'ASIA' + fake('EXAMPLE1', 16), 'aws'],
  ['token: ghp_' + fake('EXAMPLE0abc', 36), 'ghp_' + fake('EXAMPLE0abc', 36), 'github'],
  ['gho_' + fake('Example9', 36), 'gho_' + fake('Example9', 36), 'github'],
  [
    'github_pat_' + fake('EXAMPLE0', 22) + '_' + fake('example1', 59),
    'github_pat_' + fake('EXAMPLE0', 22) + '_' + fake('example1', 59),
    'github',
  ],
  [
    'SLACK=xoxb-0000000000-0000000000000-' + fake('EXAMPLEx', 24),
    'xoxb-0000000000-0000000000000-' + fake('EXAMPLEx', 24),
    'slack',
  ],
  ['stripe sk_live_' + fake('EXAMPLE0', 24), 'sk_live_' + fake('EXAMPLE0', 24), 'stripe'],
  ['rk_live_' + fake('EXAMPLE1', 24), 'rk_live_' + fake('EXAMPLE1', 24), 'stripe'],
  ['?key=AIza' + fake('EXAMPLE_-0', 35) + '&q=1', 'AIza' + fake('EXAMPLE_-0', 35), 'google'],
  ['Authorization: Bearer ' + jwt, jwt, 'jwt'],
  ['pt_0123456789ab_' + fake('EXAMPLE-_0', 43), 'pt_0123456789ab_' + fake('EXAMPLE-_0', 43), 'promptune'],
  ['key file:\n' + pemBlock + '\nend of file', pemBlock, 'pem'],
  [openSsh, openSsh, 'pem'],
  [pgp, pgp, 'pem'],
  ['pasted half a key ' + truncated + '\nthen stopped.', truncated, 'pem'],
];

const ignored: Array<[what: string, text: string]> = [
  ['a library name', 'install sk-learn-compatible-estimators-for-production'],
  ['a key-shaped slug without digits', 'see sk-proj-settings-page-for-the-whole-team'],
  ['a short AWS-like id', 'AKIA1234'],
  ['an AWS-like id in lowercase', 'akiaiosfodnn7example'],
  ['an AWS-like id running on', 'AKIAIOSFODNN7EXAMPLE2'],
  ['a short GitHub-like token', 'ghp_short123'],
  ['a Slack prefix alone', 'xoxb-'],
  ['a Stripe publishable key', 'pk_live_' + fake('EXAMPLE0', 24)],
  ['a short Stripe key', 'sk_live_abc123'],
  ['a short Google-like key', 'AIzaShort123'],
  ['JWT-like parts whose header has no alg', 'eyJub3QiOiJhbGcifQ.eyJ4IjoxfQ.c2ln'],
  ['JWT-like parts whose header is not JSON', 'eyJhbGciOi.eyJ4.c2ln'],
  ['a public key block', '-----BEGIN PUBLIC KEY-----\n' + pemBody + '\n-----END PUBLIC KEY-----'],
  ['a certificate', '-----BEGIN CERTIFICATE-----\n' + pemBody + '\n-----END CERTIFICATE-----'],
  ['a snake_case name with the promptune prefix', 'pt_model_learning_rate_schedule_warmup'],
  ['a SHA-256 hash', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
];

describe('detectSecrets', () => {
  it.each(found)('finds the secret in %j', (text, secret, provider) => {
    const start = text.indexOf(secret);
    expect(detectSecrets(text)).toEqual([
      { kind: 'secret', start, end: start + secret.length, text: secret, detail: provider },
    ]);
  });

  it.each(ignored)('ignores %s', (_what, text) => {
    expect(detectSecrets(text)).toEqual([]);
  });

  it('finds a key after a private-key block, but nothing inside the block', () => {
    const text = `${pemBlock}\nAKIAIOSFODNN7EXAMPLE`;
    expect(detectSecrets(text).map((span) => span.detail)).toEqual(['pem', 'aws']);
  });
});
