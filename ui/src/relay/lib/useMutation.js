// A mutation from a form or button: run(method, path, body) calls the relay (lib/api.js) and keeps busy/error
// for the view. Resolves to the answer, or null after an error (shown as `error`).
import { useCallback, useState } from 'react';
import { api } from './api.js';

export function useMutation() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(async (method, path, body) => {
    setBusy(true);
    setError('');
    try {
      return (await api(method, path, body)) ?? {};
    } catch (e) {
      setError(e.message);
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, setError };
}
