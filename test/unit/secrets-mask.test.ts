import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createMasker, MIN_VALUE_LENGTH } from '../../src/secrets/mask.js';

/**
 * Every credential below is quoted from public material, its source beside it:
 * - AWS: the example keys of the IAM User Guide ("Manage access keys for IAM users",
 *   docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html).
 * - gitleaks: github.com/gitleaks/gitleaks at b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b,
 *   cmd/generate/config/rules/<file>.go, the true positives (`tps`) and false positives (`fps`).
 * - secretlint: github.com/secretlint/secretlint at 18346ba31b8173d52060b971221ab38c1943def0,
 *   packages/@secretlint/secretlint-rule-<rule>/test/snapshots/<case>/input(.txt).
 */

const mask = createMasker();

const RSA_BLOCK = `-----BEGIN RSA PRIVATE KEY-----
MIICWwIBAAKBgQCYdGaf5uYMsilGHfnx/zxXtihdGFr3hCWwebHGhgEAVn0xlsTd
1QwoKi+rpI1O6hzyVOuoQtboODsONGRlHbNl6yJ936Yhmr8PiNwpA5qIxZAdmFv2
tqEllWr0dGPPm3B/2NbjuMpSiJNAcBQa46X++doG5yNMY8NCgTsjBZIBKwIDAQAB
AoGAN+Pkg5aIm/rsurHeoeMqYhV7srVtE/S0RIA4tkkGMPOELhvRzGmAbXEZzNkk
nNujBQww4JywYK3MqKZ4b8F1tMG3infs1w8V7INAYY/c8HzfrT3f+MVxijoKV2Fl
JlUXCclztoZhxAxhCR+WC1Upe1wIrWNwad+JA0Vws/mwrEECQQDxiT/Q0lK+gYaa
+riFeZmOaqwhlFlYNSK2hCnLz0vbnvnZE5ITQoV+yiy2+BhpMktNFsYNCfb0pdKN
D87x+jr7AkEAoZWITvqErh1RbMCXd26QXZEfZyrvVZMpYf8BmWFaBXIbrVGme0/Q
d7amI6B8Vrowyt+qgcUk7rYYaA39jYB7kQJAdaX2sY5gw25v1Dlfe5Q5WYdYBJsv
0alAGUrS2PVF69nJtRS1SDBUuedcVFsP+N2IlCoNmfhKk+vZXOBgWrkZ1QJAGJlE
FAntUvhhofW72VG6ppPmPPV7VALARQvmOWxpoPSbJAqPFqyy5tamejv/UdCshuX/
9huGINUV6BlhJT6PEQJAF/aqQTwZqJdwwJqYEQArSmyOW7UDAlQMmKMofjBbeBvd
H4PSJT5bvaEhxRj7QCwonoX4ZpV0beTnzloS55Z65g==
-----END RSA PRIVATE KEY-----`; // secretlint privatekey/rsa

/** [where it is from, the text, the secret in it, the marker it becomes] */
const FORMATS: [string, string, string, string][] = [
  ['AWS IAM docs', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'aws-access-token'],
  ['AWS IAM docs', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws-secret-access-key'],
  ['secretlint aws/ng.AWS Access Key ID', 'This is AWS Access Key ID: AKIAIOSFODNN7SECRETS', 'AKIAIOSFODNN7SECRETS', 'aws-access-token'],
  ['secretlint aws/ng.AWS Secret Access Key', 'AWS_SECRET_ACCESS_KEY = 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', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETSKEY', 'aws-secret-access-key'],
  ['gitleaks aws.go', 'AKIALALEMEL33243OLIB', 'AKIALALEMEL33243OLIB', 'aws-access-token'],
  ['secretlint github/ng.apikey', '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', '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', 'github-pat'],
  [
    'secretlint github/ng.fine_grained_pat',
    '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',
    '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',
    'github-fine-grained-pat',
  ],
  ['secretlint gitlab/ng.personal_access_token', 'glpat-aBcDeFgHiJkLmNoPqRsT', 'glpat-aBcDeFgHiJkLmNoPqRsT', 'gitlab-pat'],
  ['secretlint npm/NPM_ACCESS_TOKEN', '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', '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', 'npm-access-token'],
  ['secretlint slack/ng.bot-token', 'bot-token=xoxb-23984754863-2348975623000-AAAAANzjawSSE9krECohd', 'xoxb-23984754863-2348975623000-AAAAANzjawSSE9krECohd', 'slack-token'],
  [
    'gitleaks slack.go',
    '"user_token1": "xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef"',
    'xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef',
    'slack-token',
  ],
  ['secretlint openai/ng.secret', 'sk-sUeBP9asw6GiYHXqtg70T3BlbkFJJuLwJFco90bOpU0Ntest', 'sk-sUeBP9asw6GiYHXqtg70T3BlbkFJJuLwJFco90bOpU0Ntest', 'openai-api-key'],
  [
    'gitleaks openai.go',
    'OPENAI_API_KEY=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',
    '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',
    'openai-api-key',
  ],
  [
    'secretlint anthropic/ng.secret',
    "claude_api_key = 'sk-ant-api03-z0zjHHXo5uibD2havvfqiZYJe9ENlwI1trcQC4pyRC2N2w6nbpUitUU_iR4kkSszVyUpINaxvCtun3_Mub0O3w-48GXRgAA'",
    'sk-ant-api03-z0zjHHXo5uibD2havvfqiZYJe9ENlwI1trcQC4pyRC2N2w6nbpUitUU_iR4kkSszVyUpINaxvCtun3_Mub0O3w-48GXRgAA',
    'anthropic-api-key',
  ],
  ['gitleaks gcp.go', 'AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-', 'AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-', 'gcp-api-key'],
  [
    'gitleaks stripe.go',
    'sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTFPvCxnSSK5zB5EQZrJsYdsatNmAHGgb0vSKD00GTMSWRHs',
    'sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTFPvCxnSSK5zB5EQZrJsYdsatNmAHGgb0vSKD00GTMSWRHs',
    'stripe-access-token',
  ],
  [
    'gitleaks jwt.go',
    '"value": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE1ODk1ODU1NjN9.PtfDS1niGoZ7pV6kplI-_q1fVKLnknQ3IwcrLZhoVCU",',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE1ODk1ODU1NjN9.PtfDS1niGoZ7pV6kplI-_q1fVKLnknQ3IwcrLZhoVCU',
    'jwt',
  ],
  ['secretlint groq/ng.secret', 'GROQ_API_KEY=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', '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', 'groq-api-key'],
  [
    'secretlint slack/ng.IncomingWebhook',
    'Treat https://hooks.slack.com/services/T11111AA/BAAAA111A/qKirRWalryBGqKirRWalryBG as secret.',
    'T11111AA/BAAAA111A/qKirRWalryBGqKirRWalryBG',
    'slack-webhook-url',
  ],
  [
    'secretlint database-connection-string/ng.postgresql',
    'const PG_URI = "postgresql://pguser:secur3Pass@postgres.example.com:5432/production_db";',
    'secur3Pass',
    'url-password',
  ],
  ['secretlint database-connection-string/ng.postgresql', 'PG_USERNAME=root. PG_PASSWORD=m42ploz2wd', 'm42ploz2wd', 'generic-secret'],
  [
    'gitleaks generic.go',
    '"client_secret" : "6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde",',
    '6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde',
    'generic-secret',
  ],
  ['gitleaks aws_secret.go', 'SecretAccessKey: "lbqlNh3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR"', 'lbqlNh3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR', 'aws-secret-access-key'],
  ['secretlint privatekey/rsa', `key:\n${RSA_BLOCK}\nend`, RSA_BLOCK, 'private-key'],
];

describe('createMasker: credential formats', () => {
  it.each(FORMATS)('%s: masks %s', (_source, text, secret, id) => {
    const masked = mask(text);
    expect(masked).not.toContain(secret);
    expect(masked).toContain(`[masked: ${id}]`);
  });

  it('masks the whole private key block, also inside a JSON string and also cut short (secretlint privatekey)', () => {
    const inJson = JSON.stringify({ key: `${RSA_BLOCK}\n`, prop: 'value' });
    expect(mask(inJson)).toBe('{"key":"[masked: private-key]\\n","prop":"value"}');
    // A note keeps the first 8,000 characters of a tool result: the block may lose its END line.
    const cut = `${RSA_BLOCK.slice(0, 300)}\n[... 600 more characters not kept here]`;
    expect(mask(cut)).toBe('[masked: private-key]\n[... 600 more characters not kept here]');
  });

  it('masks a secret written into a tool call as the note shows it, JSON-escaped', () => {
    const call = JSON.stringify({ path: 'db.ts', content: 'const password = "m42ploz2wd";' });
    expect(mask(call)).toBe('{"path":"db.ts","content":"const password = \\"[masked: generic-secret]\\";"}');
  });

  it('is deterministic and leaves a text without secrets as the same string', () => {
    const text = FORMATS.map(([, sample]) => sample).join('\n');
    expect(mask(text)).toBe(mask(text));
    const plain = 'export const answer = 42;\n';
    expect(mask(plain)).toBe(plain);
  });
});

describe('createMasker: literal values', () => {
  const value = 'correct-horse-battery-staple';
  const masker = createMasker({ values: [{ name: 'DEPLOY_PASSPHRASE', value }, { name: 'SHORT_TOKEN', value: 'abc123' }] });

  it('masks every occurrence of a value, named by its variable', () => {
    expect(masker(`first ${value}, then ${value}.`)).toBe('first [masked: $DEPLOY_PASSPHRASE], then [masked: $DEPLOY_PASSPHRASE].');
  });

  it(`skips values shorter than ${MIN_VALUE_LENGTH} characters, which would mask ordinary words`, () => {
    expect(masker('abc123 is a short value')).toBe('abc123 is a short value');
  });

  it('finds a value with quotes and backslashes in its JSON-escaped form too', () => {
    const quoted = createMasker({ values: [{ name: 'DB_PASSWORD', value: 'p"a\\ss-w0rd' }] });
    expect(quoted(JSON.stringify({ command: 'echo p"a\\ss-w0rd' }))).toBe('{"command":"echo [masked: $DB_PASSWORD]"}');
  });
});

/** A real PNG (32×32, a gradient), made here, as a test fixture would hold it in base64. */
function pngBase64(): string {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  const header = Buffer.from([0, 0, 0, 32, 0, 0, 0, 32, 8, 2, 0, 0, 0]);
  const rows = Array.from({ length: 32 }, (_, y) => Buffer.from([0, ...Array.from({ length: 96 }, (_, x) => (x * 7 + y * 13) % 256)]));
  const png = [Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))];
  return Buffer.concat(png).toString('base64');
}

describe('createMasker: ordinary text is left alone', () => {
  it.each([
    ['a commit hash (gitleaks b58d3f1)', 'commit b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b\ntree 4b825dc642cb6eb9a060e54bf8d69288fbee4904'],
    ['a UUID (RFC 4122 section 3)', 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
    ['a PNG in base64', `const logo = "data:image/png;base64,${pngBase64()}";`],
    ['gitleaks aws.go fps: wrong length', 'TODAYINASIAASACKOFRICEFELLOVER'],
    ['gitleaks generic.go fps', 'author = "james.fake@ymail.com",'],
    ['gitleaks generic.go fps', "credentialsId: 'ff083f76-7804-4ef1-80e4-fe975bb9141b'"],
    ['gitleaks generic.go fps', 'secret_length = X25519.secret_length'],
    ['gitleaks generic.go fps', 'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"'],
    ['gitleaks generic.go fps', 'PuttyPassword=0'],
    ['secretlint github/ok.valid', 'gXX_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'],
    ['secretlint gitlab/ok.too_short', 'glpat-abc'],
    ['secretlint anthropic/ok.valid', 'sk-ant-api02-notarealkey\nsk-openai-123456'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: secretlint's fixture, quoted as it is.
    ['secretlint basicauth/ok.false-positives-prevented', 'const API_URL = "https://${username}:${password}@api.example.com/v1";'],
    ['secretlint basicauth/ok.false-positives-prevented', 'const DOC_URL = "https://YOUR_USERNAME:YOUR_PASSWORD@api.service.com";'],
    ['code that reads a secret', 'const token = await fetchToken(); let password: string; const apiKey = config.apiKey;'],
    ['a dependency named after a secret', '"@inquirer/password": "^5.0.2",'],
  ])('%s', (_what, text) => {
    expect(mask(text)).toBe(text);
  });

  it("leaves hunkwise's own source and lockfile unchanged", () => {
    for (const path of ['src/agent/loop.ts', 'src/config/validate.ts', 'src/model/openai.ts', 'package-lock.json']) {
      const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
      expect(mask(text).split('\n').filter((line) => line.includes('[masked:')), path).toEqual([]);
    }
  });
});
