import { describe, expect, it } from 'vitest';
import { cleanEnv, looksSecretName, secretEnvNames, secretEnvValues } from '../../src/secrets/env.js';

/**
 * A developer's environment. The secret values are public samples: AWS's documented example keys
 * (IAM User Guide, "Manage access keys for IAM users"); Codex's own test variables (openai/codex
 * codex-rs/core/src/exec_env.rs: API_KEY, SECRET_TOKEN); and secretlint's fixtures
 * (secretlint/secretlint, packages/@secretlint/secretlint-rule-<rule>/test/snapshots/...: github
 * ng.apikey, openai ng.secret, npm NPM_ACCESS_TOKEN, database-connection-string ng.postgresql),
 * and gitleaks' (gitleaks/gitleaks, cmd/generate/config/rules/jwt.go and aws_secret.go).
 */
const ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/home/user',
  USER: 'user',
  SHELL: '/bin/zsh',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'en_US.UTF-8',
  TERM: 'xterm-256color',
  TMPDIR: '/tmp',
  EDITOR: 'vim',
  NODE_OPTIONS: '--max-old-space-size=4096',
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/corp.pem',
  HTTPS_PROXY: 'http://proxy.corp.example:3128',
  GIT_AUTHOR_NAME: 'A U Thor',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  XAUTHORITY: '/run/user/1000/.Xauthority',
  KEYTIMEOUT: '1',
  TOKENIZERS_PARALLELISM: 'false',
  npm_package_keywords_0: 'terminal',
  DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
  XDG_SESSION_TYPE: 'wayland',
  BYPASS_CACHE: '1',
  // Secret:
  OPENAI_API_KEY: 'sk-sUeBP9asw6GiYHXqtg70T3BlbkFJJuLwJFco90bOpU0Ntest',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'us-east-1',
  GITHUB_TOKEN: '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',
  API_KEY: 'secret',
  SECRET_TOKEN: 't',
  PGPASSWORD: 'strongp@ss',
  DB_PASS: 'm42ploz2wd',
  GOOGLE_APPLICATION_CREDENTIALS: '/home/user/.config/gcloud/key.json',
  SSH_AUTH_SOCK: '/tmp/ssh-XXXXXX/agent.123',
  GPG_AGENT_INFO: '/run/user/1000/gnupg/S.gpg-agent:0:1',
  GIT_ASKPASS: '/usr/lib/git-core/git-gui--askpass',
  BW_SESSION: 'lbqlNh3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR',
  SESSION_COOKIE: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE1ODk1ODU1NjN9.PtfDS1niGoZ7pV6kplI-_q1fVKLnknQ3IwcrLZhoVCU',
  NPM_CONFIG__AUTH: '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',
  DATABASE_URL: 'postgres://api_user:myC0mpl3xPwd@db.internal.com:5432/api_db',
  OAUTH_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  LAN_SERVICE: 'sk-sUeBP9asw6GiYHXqtg70abcdefghJuLwJFco90bOpU0Ntest',
};

const KEPT = [
  'PATH', 'HOME', 'USER', 'SHELL', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'EDITOR', 'NODE_OPTIONS', 'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'XAUTHORITY', 'KEYTIMEOUT',
  'TOKENIZERS_PARALLELISM', 'npm_package_keywords_0', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_SESSION_TYPE', 'BYPASS_CACHE',
];

describe('secretEnvNames and cleanEnv', () => {
  it('removes provider keys, secret-looking names, cloud credentials, agent sockets and URLs with a password', () => {
    expect(secretEnvNames(ENV, { keyEnvs: ['LAN_SERVICE'] })).toEqual([
      'API_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'BW_SESSION', 'DATABASE_URL', 'DB_PASS',
      'GITHUB_TOKEN', 'GIT_ASKPASS', 'GOOGLE_APPLICATION_CREDENTIALS', 'GPG_AGENT_INFO', 'LAN_SERVICE', 'NPM_CONFIG__AUTH',
      'OAUTH_TOKEN_URL', 'OPENAI_API_KEY', 'PGPASSWORD', 'SECRET_TOKEN', 'SESSION_COOKIE', 'SSH_AUTH_SOCK',
    ]);
  });

  it('keeps what commands need, and names that only contain a secret word by accident', () => {
    const clean = cleanEnv(ENV, { keyEnvs: ['LAN_SERVICE'] });
    expect(Object.keys(clean).sort()).toEqual([...KEPT].sort());
    expect(clean.PATH).toBe(ENV.PATH);
    expect(clean.NODE_OPTIONS).toBe(ENV.NODE_OPTIONS);
  });

  it('lets the names of `pass` through, except a provider key of the config', () => {
    const clean = cleanEnv(ENV, { keyEnvs: ['OPENAI_API_KEY'], pass: ['GITHUB_TOKEN', 'OPENAI_API_KEY', 'SSH_AUTH_SOCK'] });
    expect(clean.GITHUB_TOKEN).toBe(ENV.GITHUB_TOKEN);
    expect(clean.SSH_AUTH_SOCK).toBe(ENV.SSH_AUTH_SOCK);
    expect(clean.OPENAI_API_KEY).toBeUndefined();
    expect(clean.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('judges names case-insensitively and AUTH and PASS as words only', () => {
    expect(looksSecretName('npm_config_//registry.npmjs.org/:_authToken')).toBe(true);
    expect(looksSecretName('github_token')).toBe(true);
    expect(looksSecretName('OAUTH_CLIENT_ID')).toBe(true);
    expect(looksSecretName('GIT_AUTHOR_DATE')).toBe(false);
    expect(looksSecretName('COMPASS_HOME')).toBe(false);
    expect(looksSecretName('PASSENGER_APP_ENV')).toBe(false);
  });
});

describe('secretEnvValues', () => {
  it('gives the values to mask: secret by name or URL, passed to commands or not; not cloud settings or paths', () => {
    const found = secretEnvValues(ENV, { keyEnvs: ['LAN_SERVICE'], pass: ['GITHUB_TOKEN'] });
    const values = Object.fromEntries(found.map(({ name, value }) => [name, value]));
    expect(values.GITHUB_TOKEN).toBe(ENV.GITHUB_TOKEN);
    expect(values.OPENAI_API_KEY).toBe(ENV.OPENAI_API_KEY);
    expect(values.AWS_SECRET_ACCESS_KEY).toBe(ENV.AWS_SECRET_ACCESS_KEY);
    expect(values.LAN_SERVICE).toBe(ENV.LAN_SERVICE);
    expect(values.DATABASE_URL).toBe(ENV.DATABASE_URL);
    expect(values.BW_SESSION).toBe(ENV.BW_SESSION);
    // us-east-1 is no secret; a path to a socket or a key file, or a URL without a password, shows nothing.
    expect(values).not.toHaveProperty('AWS_REGION');
    expect(values).not.toHaveProperty('SSH_AUTH_SOCK');
    expect(values).not.toHaveProperty('GOOGLE_APPLICATION_CREDENTIALS');
    expect(values).not.toHaveProperty('OAUTH_TOKEN_URL');
    expect(values).not.toHaveProperty('PATH');
  });
});
