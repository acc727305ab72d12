import { describe, expect, it } from 'vitest';
import { allowed, can, effectiveRole, isLastOwner } from './roles.js';
import { parseRoute, clusterHref } from './routes.js';
import { backoffMs } from './backoff.js';

describe('roles', () => {
  it('maps each role to what it may do', () => {
    expect(allowed('viewer')).toEqual({
      createKey: false, revokeKey: false, createInvite: false, revokeInvite: false, seeInvites: false,
      changeRole: false, removeMember: false, inviteRoles: [],
    });
    expect(allowed('admin')).toMatchObject({ createKey: true, revokeKey: true, createInvite: true, changeRole: false, removeMember: false });
    expect(allowed('admin').inviteRoles).toEqual(['admin', 'viewer']);
    expect(allowed('owner')).toMatchObject({ changeRole: true, removeMember: true, inviteRoles: ['owner', 'admin', 'viewer'] });
    expect(can('nobody', 'createKey')).toBe(false);
    expect(can('owner', 'createKey')).toBe(true);
  });

  it('takes the role from the live members list, an operator owning every cluster', () => {
    const snap = { role: 'viewer', members: [{ user_id: 'u1', role: 'admin' }] };
    expect(effectiveRole({ id: 'u1' }, snap)).toBe('admin');
    expect(effectiveRole({ id: 'u2' }, snap)).toBe('viewer');
    expect(effectiveRole({ id: 'u2', operator: true }, snap)).toBe('owner');
    expect(effectiveRole({ id: 'u1' }, null)).toBe('viewer');
    const members = [{ user_id: 'a', role: 'owner' }, { user_id: 'b', role: 'admin' }];
    expect(isLastOwner(members, members[0])).toBe(true);
    expect(isLastOwner([...members, { user_id: 'c', role: 'owner' }], members[0])).toBe(false);
    expect(isLastOwner(members, members[1])).toBe(false);
  });
});

describe('routes and backoff', () => {
  it('parses the hash routes', () => {
    expect(parseRoute('#signin?error=link')).toEqual({ page: 'signin', error: 'link' });
    expect(parseRoute('#signin')).toEqual({ page: 'signin', error: '' });
    expect(parseRoute('#invite/qi_abc')).toEqual({ page: 'invite', token: 'qi_abc' });
    expect(parseRoute('#/c/c-1/keys')).toEqual({ page: 'cluster', clusterId: 'c-1', tab: 'keys' });
    expect(parseRoute('#/c/c-1')).toEqual({ page: 'cluster', clusterId: 'c-1', tab: 'fleet' });
    expect(parseRoute('#/c/c-1/nope')).toEqual({ page: 'cluster', clusterId: 'c-1', tab: 'fleet' });
    expect(parseRoute('')).toEqual({ page: 'picker' });
    expect(parseRoute('#/whatever')).toEqual({ page: 'picker' });
    expect(parseRoute(clusterHref('c 2', 'usage'))).toEqual({ page: 'cluster', clusterId: 'c 2', tab: 'usage' });
  });

  it('backs off doubling up to the cap, with jitter between half and all of the step', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(10, () => 1)).toBe(30_000);
    expect(backoffMs(0, () => 0)).toBe(500);
  });
});
