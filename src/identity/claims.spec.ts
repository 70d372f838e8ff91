import { groupsFrom, headerClaimsFrom } from './claims';

const GROUPS_CLAIM = 'groups';

describe('groupsFrom', () => {
  it('takes an array of names, ignoring what is not a string', () => {
    expect(groupsFrom({ groups: ['admins', 3, 'staff'] }, GROUPS_CLAIM)).toEqual(['admins', 'staff']);
  });

  it.each([
    ['one name', 'admins', ['admins']],
    ['comma-separated names', 'admins,staff', ['admins', 'staff']],
    ['space-separated names', 'admins staff', ['admins', 'staff']],
    ['a mixture with stray separators', ' admins, staff ,,ops ', ['admins', 'staff', 'ops']],
    ['an empty string', '', []],
  ])('splits a string of %s', (_case, value, expected) => {
    expect(groupsFrom({ groups: value }, GROUPS_CLAIM)).toEqual(expected);
  });

  it('finds no groups when the claim is missing or of another type', () => {
    expect(groupsFrom({}, GROUPS_CLAIM)).toEqual([]);
    expect(groupsFrom({ groups: { admins: true } }, GROUPS_CLAIM)).toEqual([]);
  });
});

describe('headerClaimsFrom', () => {
  it('keeps only the named claims the token has, as its own properties', () => {
    const claims = JSON.parse('{"email":"a@x","iss":"https://idp","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const sut = headerClaimsFrom(claims, ['email', '__proto__', 'missing', 'toString']);
    expect(Object.keys(sut)).toEqual(['email', '__proto__']);
    expect(Object.getPrototypeOf(sut)).toBe(Object.prototype);
  });
});
