// The dashboard's hash routes (ui/README.md, "Relay dashboard"):
//   #signin                 sign-in; #signin?error=link after a used, expired or unknown sign-in link
//   #invite/<token>         accept an invite (new account, or join as the signed-in user)
//   #/                      the cluster picker (straight to the cluster when there is one)
//   #/c/<id>/<tab>          one cluster; tab is one of TABS (fleet when missing or unknown)
// parseRoute is pure; anything unknown is the picker.

export const TABS = [
  { id: 'fleet', label: 'Fleet' },
  { id: 'models', label: 'Models' },
  { id: 'keys', label: 'Keys' },
  { id: 'usage', label: 'Usage' },
  { id: 'audit', label: 'Audit log' },
  { id: 'members', label: 'Members' },
];

export function parseRoute(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const [path, query = ''] = raw.split('?');
  if (path === 'signin' || path === '/signin') {
    return { page: 'signin', error: new URLSearchParams(query).get('error') || '' };
  }
  const invite = path.match(/^\/?invite\/(.+)$/);
  if (invite) return { page: 'invite', token: decodeURIComponent(invite[1]) };
  const cluster = path.match(/^\/c\/([^/]+)(?:\/([^/]*))?$/);
  if (cluster) {
    const tab = TABS.some((t) => t.id === cluster[2]) ? cluster[2] : 'fleet';
    return { page: 'cluster', clusterId: decodeURIComponent(cluster[1]), tab };
  }
  return { page: 'picker' };
}

export function clusterHref(id, tab = 'fleet') {
  return `#/c/${encodeURIComponent(id)}/${tab}`;
}
