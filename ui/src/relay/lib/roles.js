// What a member may do in a cluster, by role (owner > admin > viewer), as the relay enforces it
// (docs: helpers' dashboard contract). The pages show a mutation's button only when allowed() says so; the
// relay still refuses on its own (403 forbidden).

export const ROLES = ['owner', 'admin', 'viewer'];
const RANK = { viewer: 0, admin: 1, owner: 2 };

const rank = (role) => RANK[role] ?? -1;

// The actions a role allows, and which roles it may hand out in an invite.
export function allowed(role) {
  const admin = rank(role) >= RANK.admin;
  const owner = rank(role) >= RANK.owner;
  return {
    createKey: admin,
    revokeKey: admin,
    createInvite: admin,
    revokeInvite: admin,
    seeInvites: admin,
    changeRole: owner,
    removeMember: owner,
    inviteRoles: owner ? ['owner', 'admin', 'viewer'] : admin ? ['admin', 'viewer'] : [],
  };
}

export function can(role, action) {
  return Boolean(allowed(role)[action]);
}

// The signed-in user's role now: an operator owns every cluster; else the members list (kept live by
// `member` events) wins over the snapshot's role, which is only as fresh as the last snapshot.
export function effectiveRole(user, snapshot) {
  if (!snapshot) return 'viewer';
  if (user?.operator) return 'owner';
  const me = snapshot.members?.find((m) => m.user_id === user?.id);
  return me?.role ?? snapshot.role ?? 'viewer';
}

// True when `member` is the cluster's only owner (the relay refuses to demote or remove them: 409).
export function isLastOwner(members, member) {
  return member.role === 'owner' && members.filter((m) => m.role === 'owner').length === 1;
}
