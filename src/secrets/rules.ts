/**
 * Credential formats, one rule each, named after the gitleaks rule that detects the same thing
 * (github.com/gitleaks/gitleaks, cmd/generate/config/rules/*.go) where there is one. Written here
 * rather than taken from a package: gitleaks is Go; secretlint's rule preset needs Node 22 from
 * its version 12 on, reports the head of a private key rather than the block, skips example keys,
 * obeys `secretlint-disable` comments in the very text being masked, and lacks GitLab, Stripe,
 * Google and JWT formats. A rule's regex is tried only when one of its keywords is in the text
 * (gitleaks' own prefilter; mask.ts finds them all in one pass), so a text without any
 * credential costs one scan. About 5 ms for 1 MB of source code on the machines here.
 *
 * Masking is not detection: where gitleaks skips documented example keys or low entropy, these
 * rules mask anyway (hiding an example key costs nothing); where a format would also match
 * ordinary text (a 40-character AWS secret looks like any base64), the rule needs the context
 * that names it.
 */

export interface SecretRule {
  /** The marker's name: `[masked: <id>]`. */
  readonly id: string;
  /**
   * The rule runs only on a text holding one of these: where a keyword starts with a letter or
   * digit, at the start of a word (`sk-` of `sk-proj-...`, not of `task-`). Lower case when `caseless`.
   */
  readonly keywords: readonly string[];
  /** Keywords found in any case (`Authorization`, `AUTHORIZATION`); the regex decides for itself. */
  readonly caseless?: boolean;
  /** Global; with the `d` flag when `span` reads group indices. */
  readonly pattern: RegExp;
  /** The part of a match to mask, or undefined to keep the match; the whole match by default. */
  readonly span?: (match: RegExpExecArray) => readonly [number, number] | undefined;
}

/** The span of a named group of a match (for a rule whose regex has that group and the `d` flag). */
const group =
  (name: string) =>
  (match: RegExpExecArray): readonly [number, number] | undefined =>
    match.indices?.groups?.[name];

/** What documentation writes where a password goes: `user:password@`, `user:${PASSWORD}@`, `user:YOUR_PASSWORD@`. */
const PLACEHOLDER = /^(?:(?:my|your|the|db|user)?[_-]?(?:password|passwd|pass|pwd)|secret|x+|\*+|<[^>]*>|\$?\{\{?\s*\w+\s*\}\}?|\$\w+|(?:your|replace)[_-][\w-]+)$/i;

const rule = (id: string, keywords: string[], pattern: RegExp, extra: Partial<SecretRule> = {}): SecretRule => ({
  id,
  keywords,
  pattern,
  ...extra,
});

/** `[Ww]ord|WORD`: the ways a name writes a word, for a case-sensitive regex (faster than `i`). */
const cased = (word: string): string => `[${word[0]?.toUpperCase()}${word[0]}]${word.slice(1)}|${word.toUpperCase()}`;
const words = (list: string[]): string => list.map(cased).join('|');

/**
 * gitleaks generic-api-key, narrowed to names that end in a secret word: `DB_PASSWORD=...`,
 * `"client_secret": "..."`, `apiKey: '...'`, `--token=...`, `?access_token=...&`. The value is a
 * quoted string, or a bare word followed by the end of the value (so `token = fetchToken()` is
 * code, not a value). A bare `key` is no secret word (`key: "value"` is everywhere).
 *
 * The regex starts at the `=` or `:` and looks behind it for the name: a scan for two characters
 * is three times faster than one for the many first letters of the names.
 */
const SECRET_WORDS =
  `(?:${words(['password', 'passwd', 'passphrase', 'secret', 'token', 'credential', 'credentials', 'creds', 'auth', 'apikey'])}|` +
  `(?:${words(['api', 'access', 'private', 'secret', 'client', 'signing', 'encryption', 'master', 'auth'])})[_.-]?(?:${words(['key'])}))`;
const ASSIGNMENT = new RegExp(
  String.raw`(?:=>|:=|[:=])(?<=(?<name>${SECRET_WORDS})["'\x60\]]?\s{0,5}(?:=>|:=|[:=]))\s{0,5}` +
    String.raw`(?:\\?(?<quote>["'\x60])(?<quoted>[^\s"'\x60\\]{8,300})\\?\k<quote>|(?<bare>[^\s"'\x60\\,;&<>(){}[\]]{8,300})(?=[\s"'\x60\\,;&)}\]]|$))`,
  'dg',
);

/**
 * The value of an assignment match, unless it is no secret: a reference (`$TOKEN`, `%(pw)s`,
 * `{{ secrets.X }}`), a version (`"^5.0.2"`), a bare identifier or property path without digits
 * (`token: undefined`, `apiKey: config.apiKey`), or — for names other than passwords — a word of
 * letters alone (gitleaks' `^[a-zA-Z_.-]+$` allowlist).
 */
function assignedSecret(match: RegExpExecArray): readonly [number, number] | undefined {
  const quoted = match.groups?.quoted;
  const value = quoted ?? match.groups?.bare ?? '';
  if (/^[$%]|\$\{|\{\{/.test(value) || /^[~^<>=v]*\d+(?:\.\d+)+(?:[-+][\w.]+)?$/.test(value)) return undefined;
  if (quoted === undefined && /^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*$/.test(value) && !/\d/.test(value)) return undefined;
  if (!/^pass/i.test(match.groups?.name ?? '') && /^[A-Za-z_.-]+$/.test(value)) return undefined;
  return quoted === undefined ? match.indices?.groups?.bare : match.indices?.groups?.quoted;
}

export const SECRET_RULES: readonly SecretRule[] = [
  // gitleaks private-key; also a block cut short (a note keeps 8,000 characters of a tool result).
  rule(
    'private-key',
    ['-----BEGIN'],
    /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s\\:,.-]*[A-Za-z0-9+/=])?)/g,
  ),
  rule('aws-access-token', ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'], /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g),
  // gitleaks aws-secret-access-key is a sub-rule that needs the access key beside it; here the
  // name in front of the value (`aws_secret_access_key = `, `"SecretAccessKey": "`, `aws configure
  // set aws_secret_access_key `) is the context. A bare 40-character value is left to the masking
  // of environment values: alone, it looks like any base64.
  rule(
    'aws-secret-access-key',
    ['secret_access', 'secretaccess'],
    /secret_?access_?key["'`]?(?:\s{0,5}(?:=>|:=|[:=])\s{0,5}|\s+)\\?["'`]?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
    { caseless: true, span: group('secret') },
  ),
  rule('github-pat', ['ghp_'], /\bghp_[0-9A-Za-z]{36}\b/g),
  rule('github-oauth', ['gho_'], /\bgho_[0-9A-Za-z]{36}\b/g),
  rule('github-app-token', ['ghu_', 'ghs_'], /\b(?:ghu|ghs)_[0-9A-Za-z]{36}\b/g),
  rule('github-refresh-token', ['ghr_'], /\bghr_[0-9A-Za-z]{36}\b/g),
  rule('github-fine-grained-pat', ['github_pat_'], /\bgithub_pat_\w{82}\b/g),
  // gitleaks gitlab-pat, gitlab-pat-routable and the other gitlab-* token rules (deploy, runner,
  // trigger, feed, CI job, OAuth app, agent).
  rule('gitlab-pat', ['glpat-'], /\bglpat-[\w-]{20,300}(?:\.[0-9a-z]{9})?/g),
  rule('gitlab-token', ['gldt-', 'glrt-', 'glptt-', 'glft-', 'glimt-', 'glagent-', 'gloas-', 'glsoat-', 'glffct-', 'glcbt-'], /\bgl(?:dt|rt|ptt|ft|imt|agent|oas|soat|ffct|cbt)-[\w-]{20,300}/g),
  rule('npm-access-token', ['npm_'], /\bnpm_[A-Za-z0-9]{36}\b/g),
  // gitleaks slack-bot-token, slack-user-token, slack-legacy-*, slack-config-*; slack-app-token.
  rule('slack-token', ['xox'], /\bxox[abeoprs](?:\.xox[bp])?-[0-9A-Za-z-]{10,250}/g),
  rule('slack-app-token', ['xapp-'], /\bxapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+/g),
  rule('slack-webhook-url', ['hooks.slack.com'], /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{20,}/g),
  rule('anthropic-api-key', ['sk-ant-'], /\bsk-ant-[a-z]{3,6}\d\d-[\w-]{20,300}/g),
  // gitleaks openai-api-key wants the `T3BlbkFJ` marker; project, service-account and admin keys
  // are masked by their prefix alone, and so are the `sk-` keys of other OpenAI-compatible servers.
  rule('openai-api-key', ['sk-'], /\bsk-(?:proj|svcacct|admin|None)-[\w-]{20,300}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b/g),
  // No gitleaks rule: the `sk-` keys of DeepSeek, OpenRouter (`sk-or-v1-`) and the like.
  rule('sk-api-key', ['sk-'], /\bsk-(?!ant-)[A-Za-z0-9][\w-]{31,300}/g, {
    span: (match) => (/\d/.test(match[0]) ? [match.index, match.index + match[0].length] : undefined),
  }),
  rule('gcp-api-key', ['AIza'], /\bAIza[\w-]{35}(?![\w-])/g),
  rule('stripe-access-token', ['sk_test_', 'sk_live_', 'sk_prod_', 'rk_test_', 'rk_live_', 'rk_prod_'], /\b(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,250}\b/g),
  rule('huggingface-access-token', ['hf_'], /\bhf_[A-Za-z]{34}\b/g),
  rule('groq-api-key', ['gsk_'], /\bgsk_[A-Za-z0-9]{52}\b/g),
  rule('sendgrid-api-token', ['SG.'], /\bSG\.[\w-]{22}\.[\w-]{43}\b/g),
  rule('digitalocean-token', ['dop_v1_', 'doo_v1_', 'dor_v1_'], /\bdo[opr]_v1_[a-f0-9]{64}\b/g),
  rule('databricks-api-token', ['dapi'], /\bdapi[a-f0-9]{32}(?:-\d)?\b/g),
  rule('shopify-token', ['shpss_', 'shpat_', 'shpca_', 'shppa_'], /\bshp(?:ss|at|ca|pa)_[a-fA-F0-9]{32}\b/g),
  rule('pypi-upload-token', ['pypi-'], /pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}/g),
  rule('vault-token', ['hvs.', 'hvb.'], /\bhv[sb]\.[\w-]{90,300}/g),
  rule('age-secret-key', ['AGE-SECRET-KEY-1'], /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/g),
  // gitleaks jwt: three base64url parts, the first two JSON objects (`ey`).
  rule('jwt', ['eyJ'], /\bey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?/g),
  // secretlint basicauth, for any scheme: the password of `scheme://user:password@host`.
  rule('url-password', ['://'], /:\/\/(?<=[A-Za-z0-9]:\/\/)[^\s:/@"'`<>]{1,256}:(?<secret>[^\s@/"'`<>]{1,256})@[\w.-]/dg, {
    span: (match) => (PLACEHOLDER.test(match.groups?.secret ?? '') ? undefined : match.indices?.groups?.secret),
  }),
  rule('generic-secret', ['pass', 'secret', 'token', 'cred', 'key', 'auth'], ASSIGNMENT, { caseless: true, span: assignedSecret }),
  // gitleaks curl-auth-header, for any client: `Authorization: Bearer <token>`.
  rule(
    'authorization-header',
    ['authorization'],
    /authorization["'`]?\s{0,5}[:=]\s{0,5}\\?["'`]?(?:bearer|basic|token|bot|digest)\s+(?<secret>[\w~+/.=-]{8,})/dgi,
    { caseless: true, span: group('secret') },
  ),
];
