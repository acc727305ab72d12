// "Update available" (docs/ui-api.md, the `update` part): shown when the node's release feed has a newer
// version, with a button that asks the node to install it (POST /api/ui/update/apply; the node then drains,
// relaunches into the new version and rolls back by itself if it does not come up). Also shows the update
// in progress, and the last failure (a refused signature, a rollback) until the next check.
import { useAction } from '../lib/useAction.js';

const BUSY = { checking: 'Checking for updates…', downloading: 'Downloading the update…', verifying: 'Verifying the update…', replacing: 'Installing the update…', ready: 'Restarting into the update…' };

export default function UpdateBanner({ update }) {
  const { run, busy, error } = useAction();
  if (!update) return null;
  const { state, current, available, managed } = update;
  let body = null;
  if (state === 'available') {
    body = (
      <>
        <span>
          Update available: Quorum {available} (this node runs {current}).
          {managed === 'apt' && ' Installed by apt: update it with apt.'}
        </span>
        {managed !== 'apt' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => run('/api/ui/update/apply', {})}
            className="rounded-md bg-indigo-600 px-3 py-1 text-xs font-semibold text-white hover:bg-indigo-700 disabled:opacity-50"
          >
            Update now
          </button>
        )}
      </>
    );
  } else if (BUSY[state]) {
    body = <span>{BUSY[state]}</span>;
  } else if (state === 'failed' && update.error) {
    body = <span>Update failed: {update.error}</span>;
  }
  if (!body && !error) return null;
  return (
    <div
      role="status"
      data-testid="update-banner"
      data-state={state}
      className="flex items-center justify-between gap-4 border-b border-indigo-200 bg-indigo-50 px-6 py-2 text-sm text-indigo-900"
    >
      {body}
      {error && <span role="alert">{error}</span>}
    </div>
  );
}
