import { ONE_TIME_CODE } from './idp/authentication-levels';
import { DEFAULT_USERS } from './idp/idp-users';

export interface BannerInput {
  publicUrl: string;
  adminUrl: string;
  adminToken: string;
  issuer: string;
  upstreamUrl: string;
  databaseUrl: string;
}

export function demoBanner(input: BannerInput): string {
  const width = Math.max(...DEFAULT_USERS.map((user) => `${user.username} / ${user.password}`.length));
  const users = DEFAULT_USERS.map((user, index) => {
    const login = `${user.username} / ${user.password}`.padEnd(width);
    const groups = user.groups?.length ? `groups: ${user.groups.join(', ')}` : 'no groups';
    return `${index === 0 ? '  Sign in as   ' : '               '}${login}   (${groups})`;
  });
  const database = new URL(input.databaseUrl);
  return [
    '',
    'bff-vault demo is running',
    '',
    `  Open         ${input.publicUrl}`,
    ...users,
    '',
    `  Admin API    ${input.adminUrl}   (Authorization: Bearer ${input.adminToken})`,
    `  Dev IdP      ${input.issuer}`,
    `  Demo API     ${input.upstreamUrl}   (the SPA reaches it through ${input.publicUrl}/api)`,
    `  Step-up      ${input.publicUrl}/api/step-up needs a second factor: the one-time code is ${ONE_TIME_CODE}`,
    `  Admins only  ${input.publicUrl}/api/admin (alice: 200, bob: 403); live WebSocket feed at ${input.publicUrl}/api/live`,
    `  Database     ${database.host}${database.pathname}   (consumers are created at first login)`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
