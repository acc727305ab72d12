// Accepting an invite (#invite/<token>): signed in, join as that user with one button; otherwise create an
// account (email + password, at least 8 characters) — or sign in first when the account exists already.
// POST /api/invites/accept answers {user, cluster_id, role} and signs in.
import { useState } from 'react';
import { Button, ErrorText, Field, inputClass } from '../../components/ui.jsx';
import { useMutation } from '../lib/useMutation.js';
import { AuthFrame } from './SignIn.jsx';

export const MIN_PASSWORD = 8;

export default function Invite({ token, user, onAccepted }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const { run, busy, error } = useMutation();
  const accept = async (body) => {
    const answer = await run('POST', '/api/invites/accept', body);
    if (answer) onAccepted(answer);
  };
  if (user) {
    return (
      <AuthFrame title="Join a cluster">
        <p className="mb-4 text-sm text-slate-600">
          You were invited to a cluster on this relay. Join it as <strong>{user.email}</strong>?
        </p>
        <ErrorText>{error}</ErrorText>
        <div className="mt-3 flex gap-2">
          <Button variant="primary" disabled={busy} onClick={() => accept({ token })}>
            Join as {user.email}
          </Button>
          <Button onClick={() => (window.location.hash = '#/')}>Not now</Button>
        </div>
      </AuthFrame>
    );
  }
  const submit = (e) => {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return setTooShort(true);
    setTooShort(false);
    accept({ token, email: email.trim(), password });
  };
  return (
    <AuthFrame title="Join a cluster">
      <p className="mb-4 text-sm text-slate-600">
        Create your account to accept the invite. Have one already?{' '}
        <a className="text-indigo-700 hover:underline" href="#signin" onClick={() => sessionStorage.setItem('quorum-invite', token)}>
          Sign in first
        </a>
        .
      </p>
      <form className="flex flex-col gap-3" onSubmit={submit}>
        <Field label="Email" id="invite-email">
          <input id="invite-email" type="email" autoComplete="username" required className={inputClass}
            value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="New password" id="invite-password" hint={`At least ${MIN_PASSWORD} characters.`}>
          <input id="invite-password" type="password" autoComplete="new-password" required className={inputClass}
            value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <ErrorText>{tooShort ? `The password needs at least ${MIN_PASSWORD} characters.` : error}</ErrorText>
        <Button type="submit" variant="primary" disabled={busy}>
          Create account and join
        </Button>
      </form>
    </AuthFrame>
  );
}
