// The relay dashboard: who is signed in (GET /api/me) and which page the hash route shows (lib/routes.js).
// Signed out (no session, or a 401 "signed_out" from any call), every page but sign-in and invite goes to
// #signin. The cluster picker goes straight to the cluster when there is exactly one.
import { useCallback, useEffect, useState } from 'react';
import { useHash } from '../lib/hashRoute.js';
import { Button, ErrorText } from '../components/ui.jsx';
import { api, get, onSignedOut } from './lib/api.js';
import { clusterHref, parseRoute } from './lib/routes.js';
import ClusterView, { NoCluster } from './ClusterView.jsx';
import SignIn from './pages/SignIn.jsx';
import Invite from './pages/Invite.jsx';
import Picker from './pages/Picker.jsx';

// An invite the person chose to sign in for first ("Sign in first" on the invite page).
const PENDING_INVITE = 'quorum-invite';

export default function RelayApp() {
  const route = parseRoute(useHash());
  const [me, setMe] = useState(undefined); // undefined: asking; null: signed out
  const [meError, setMeError] = useState('');

  const loadMe = useCallback(async () => {
    try {
      const answer = await get('/api/me');
      setMeError('');
      setMe(answer);
      return answer;
    } catch (e) {
      if (e.status === 401) setMe(null);
      else setMeError(e.message);
      return null;
    }
  }, []);

  useEffect(
    () =>
      onSignedOut(() => {
        setMe(null);
        if (!/^#(signin|\/?invite\/)/.test(window.location.hash)) window.location.hash = '#signin';
      }),
    [],
  );
  useEffect(() => {
    loadMe();
  }, [loadMe]);

  const signedOut = me === null;
  const open = route.page === 'signin' || route.page === 'invite';
  useEffect(() => {
    if (signedOut && !open) window.location.replace('#signin');
  }, [signedOut, open]);
  const only = me?.clusters?.length === 1 ? me.clusters[0].id : null;
  useEffect(() => {
    if (route.page === 'picker' && only) window.location.replace(clusterHref(only));
  }, [route.page, only]);
  useEffect(() => {
    if (route.page !== 'cluster') document.title = 'Quorum relay';
  }, [route.page]);

  const afterSignIn = async () => {
    await loadMe();
    const invite = sessionStorage.getItem(PENDING_INVITE);
    sessionStorage.removeItem(PENDING_INVITE);
    window.location.hash = invite ? `#invite/${encodeURIComponent(invite)}` : '#/';
  };
  const signOut = async () => {
    try {
      await api('DELETE', '/api/session');
    } catch {
      // signed out already, or the relay is away: the page forgets the session either way
    }
    setMe(null);
    window.location.hash = '#signin';
  };
  const left = async () => {
    await loadMe();
    window.location.hash = '#/';
  };

  if (route.page === 'signin') return <SignIn error={route.error} onSignedIn={afterSignIn} />;
  if (route.page === 'invite') {
    if (me === undefined && !meError) return null;
    return (
      <Invite
        token={route.token}
        user={me?.user}
        onAccepted={async (a) => {
          await loadMe();
          window.location.hash = clusterHref(a.cluster_id);
        }}
      />
    );
  }
  if (meError) {
    return (
      <div className="mx-auto max-w-md px-6 py-10">
        <ErrorText>{meError}</ErrorText>
        <Button className="mt-3" onClick={loadMe}>Try again</Button>
      </div>
    );
  }
  if (!me) return <p className="px-6 py-10 text-sm text-slate-500">Loading…</p>;
  if (route.page === 'cluster') {
    if (!me.clusters.some((c) => c.id === route.clusterId) && !me.user.operator) return <NoCluster clusterId={route.clusterId} />;
    return <ClusterView key={route.clusterId} clusterId={route.clusterId} tab={route.tab} me={me} onSignOut={signOut} onLeft={left} />;
  }
  return (
    <div>
      <div className="flex justify-end gap-3 border-b border-slate-200 bg-white px-6 py-3 text-sm">
        <span className="self-center text-slate-600">{me.user.email}</span>
        <Button onClick={signOut}>Sign out</Button>
      </div>
      <Picker me={me} />
    </div>
  );
}
