// A dialog that shows a secret once (a new API key, an invite link) with a Copy button and the warning that it
// will not be shown again. The caller drops the secret from its state on close, so it is gone from the page.
import { useEffect, useRef, useState } from 'react';
import { Button, inputClass } from '../../components/ui.jsx';

export default function ShowOnce({ title, label, value, warning, onClose, testId = 'secret-value' }) {
  const input = useRef(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      input.current?.select();
      setCopied('Select the text and copy it (the browser refused the clipboard).');
    }
  };
  return (
    <div className="fixed inset-0 z-20 grid place-items-center bg-slate-900/40 p-4">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="show-once-title"
        className="w-full max-w-lg rounded-xl bg-white p-5 shadow-xl"
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        <h2 id="show-once-title" className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        <p role="note" className="mt-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
          {warning}
        </p>
        <label htmlFor="show-once-value" className="mt-4 block text-xs font-medium text-slate-600">
          {label}
        </label>
        <div className="mt-1 flex gap-2">
          <input
            id="show-once-value"
            ref={input}
            readOnly
            value={value}
            data-testid={testId}
            className={`${inputClass} font-mono`}
            onFocus={(e) => e.target.select()}
          />
          <Button onClick={copy}>Copy</Button>
        </div>
        <p className="mt-1 h-4 text-xs text-slate-500" aria-live="polite">
          {copied}
        </p>
        <div className="mt-4 flex justify-end">
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </div>
  );
}
