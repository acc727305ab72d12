// Sign-in with email and password (POST /api/session; the relay sets the session cookie). `error` is the
// route's ?error=…: "link" after a sign-in link that was used, expired or unknown.
import { useState } from 'react';
import { Button, ErrorText, Field, inputClass } from '../../components/ui.jsx';
import { useMutation } from '../lib/useMutation.js';

const ROUTE_ERRORS = {
  link: 'That sign-in link was already used, has expired or is unknown. Sign in with your password, or ask for a new link.',
};

export function AuthFrame({ title, children }) {
  return (
    <div className="grid min-h-full place-items-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          <span className="grid h-8 w-8 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">Q</span>
          <span className="text-lg font-semibold text-slate-900">Quorum relay</span>
        </div>
        <section className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="mb-4 text-base font-semibold text-slate-900">{title}</h1>
          {children}
        </section>
      </div>
    </div>
  );
}

export default function SignIn({ error: routeError, onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { run, busy, error } = useMutation();
  const submit = async (e) => {
    e.preventDefault();
    const answer = await run('POST', '/api/session', { email: email.trim(), password });
    if (answer) onSignedIn(answer.user);
  };
  return (
    <AuthFrame title="Sign in">
      <form className="flex flex-col gap-3" onSubmit={submit}>
        {!error && routeError && <ErrorText>{ROUTE_ERRORS[routeError] ?? 'Sign in again.'}</ErrorText>}
        <Field label="Email" id="signin-email">
          <input id="signin-email" type="email" autoComplete="username" required className={inputClass}
            value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password" id="signin-password">
          <input id="signin-password" type="password" autoComplete="current-password" required className={inputClass}
            value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <ErrorText>{error}</ErrorText>
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </AuthFrame>
  );
}
