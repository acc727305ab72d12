// A write from a form or button: run(path, body) posts it (lib/api.js) and keeps busy/error for the view.
// onDone(answer) runs after a success.
import { useCallback, useState } from 'react';
import { postUi } from './api.js';

export function useAction(onDone) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(
    async (path, body) => {
      setBusy(true);
      setError('');
      try {
        const answer = await postUi(path, body);
        onDone?.(answer);
        return answer;
      } catch (e) {
        setError(e.message);
        return null;
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return { run, busy, error, setError };
}
