import type { Account, ClaimValue } from 'oidc-provider';

export interface DevIdpUser {
  username: string;
  password: string;
  /** Stable subject; defaults to `user-<username>`. */
  sub?: string;
  name?: string;
  email?: string;
  groups?: readonly string[];
}

export const ALICE = { username: 'alice', password: 'alice-password', groups: ['admins', 'users'] } as const;
export const BOB = { username: 'bob', password: 'bob-password', groups: ['users'] } as const;
export const CAROL = { username: 'carol', password: 'carol-password', groups: [] } as const;

export const DEFAULT_USERS: readonly DevIdpUser[] = [
  { ...ALICE, name: 'Alice Admin' },
  { ...BOB, name: 'Bob Builder' },
  { ...CAROL, name: 'Carol Carefree' },
];

export class UserDirectory {
  private readonly bySub = new Map<string, Required<DevIdpUser>>();

  /** A user's groups change at the IdP: later tokens and userinfo answers say so. */
  setGroupsOf(sub: string, groups: readonly string[]): void {
    const user = this.bySub.get(sub);
    if (user) this.bySub.set(sub, { ...user, groups });
  }

  constructor(users: readonly DevIdpUser[]) {
    for (const user of users) {
      const sub = user.sub ?? `user-${user.username}`;
      this.bySub.set(sub, {
        sub,
        username: user.username,
        password: user.password,
        name: user.name ?? user.username,
        email: user.email ?? `${user.username}@example.test`,
        groups: user.groups ?? [],
      });
    }
  }

  /** Returns the subject when the credentials match, so a wrong password and an unknown user look alike. */
  authenticate(username: string, password: string): string | undefined {
    for (const user of this.bySub.values()) {
      if (user.username === username && user.password === password) return user.sub;
    }
    return undefined;
  }

  groupsOf(sub: string): readonly string[] | undefined {
    return this.bySub.get(sub)?.groups;
  }

  /** `groupsInIdToken: false`: groups only in userinfo answers, as Okta's org authorization server gives them. */
  account(sub: string, { groupsInIdToken = true } = {}): Account | undefined {
    const user = this.bySub.get(sub);
    if (!user) return undefined;
    const claims: Record<string, ClaimValue> = {
      sub: user.sub,
      name: user.name,
      preferred_username: user.username,
      email: user.email,
      email_verified: true,
    };
    return {
      accountId: user.sub,
      claims: (use) => (use === 'id_token' && !groupsInIdToken ? claims : { ...claims, groups: [...user.groups] }),
    };
  }
}
