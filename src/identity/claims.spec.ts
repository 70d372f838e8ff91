import type { ConsumerConfig } from '../config/app-config';
import { groupsFrom } from './claims';

const config = { groupsClaim: 'groups' } as ConsumerConfig;

describe('groupsFrom', () => {
  it('takes an array of names, ignoring what is not a string', () => {
    expect(groupsFrom({ groups: ['admins', 3, 'staff'] }, config)).toEqual(['admins', 'staff']);
  });

  it.each([
    ['one name', 'admins', ['admins']],
    ['comma-separated names', 'admins,staff', ['admins', 'staff']],
    ['space-separated names', 'admins staff', ['admins', 'staff']],
    ['a mixture with stray separators', ' admins, staff ,,ops ', ['admins', 'staff', 'ops']],
    ['an empty string', '', []],
  ])('splits a string of %s', (_case, value, expected) => {
    expect(groupsFrom({ groups: value }, config)).toEqual(expected);
  });

  it('finds no groups when the claim is missing or of another type', () => {
    expect(groupsFrom({}, config)).toEqual([]);
    expect(groupsFrom({ groups: { admins: true } }, config)).toEqual([]);
  });
});
