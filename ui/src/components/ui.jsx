// Small presentational pieces shared by the pages (no logic, no state of the node).

export function Card({ title, actions, children, className = '', ...rest }) {
  return (
    <section className={`rounded-xl border border-slate-200 bg-white shadow-sm ${className}`} {...rest}>
      {(title || actions) && (
        <header className="flex items-center justify-between gap-3 border-b border-slate-100 px-5 py-3">
          {title && <h2 className="text-sm font-semibold text-slate-800">{title}</h2>}
          {actions}
        </header>
      )}
      <div className="px-5 py-4">{children}</div>
    </section>
  );
}

const TONES = {
  green: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  amber: 'bg-amber-50 text-amber-800 ring-amber-200',
  red: 'bg-rose-50 text-rose-800 ring-rose-200',
  blue: 'bg-sky-50 text-sky-800 ring-sky-200',
  gray: 'bg-slate-100 text-slate-700 ring-slate-200',
};

export function Badge({ tone = 'gray', children, ...rest }) {
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`}
      {...rest}
    >
      {children}
    </span>
  );
}

const BUTTONS = {
  primary: 'bg-indigo-600 text-white hover:bg-indigo-700 disabled:bg-slate-200 disabled:text-slate-500 disabled:shadow-none',
  secondary: 'bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:text-slate-400',
  danger: 'bg-white text-rose-700 ring-1 ring-inset ring-rose-300 hover:bg-rose-50 disabled:text-rose-300',
};

// A node's models as badges, green when loaded (the word is there for screen readers too); "none" when empty.
export function ModelBadges({ models }) {
  if (!models.length) return 'none';
  return (
    <ul className="flex flex-wrap gap-1">
      {models.map((m) => (
        <li key={m.id}>
          <Badge tone={m.loaded ? 'green' : 'gray'} title={m.loaded ? 'loaded' : 'not loaded'}>
            {m.id}
            {m.loaded && <span className="sr-only"> (loaded)</span>}
          </Badge>
        </li>
      ))}
    </ul>
  );
}

export function Button({ variant = 'secondary', className = '', type = 'button', ...rest }) {
  return (
    <button
      type={type}
      className={`inline-flex shrink-0 items-center justify-center gap-1.5 whitespace-nowrap rounded-lg px-3 py-1.5 text-sm font-medium shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:cursor-not-allowed ${BUTTONS[variant]} ${className}`}
      {...rest}
    />
  );
}

export function Field({ label, id, hint, children }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      {children}
      {hint && <p className="text-xs text-slate-500">{hint}</p>}
    </div>
  );
}

export const inputClass =
  'w-full rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-900 placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200';

export function ErrorText({ children }) {
  if (!children) return null;
  return (
    <p role="alert" className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-inset ring-rose-200">
      {children}
    </p>
  );
}

export function Empty({ title, children }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-slate-50 px-5 py-6 text-center">
      <p className="text-sm font-medium text-slate-700">{title}</p>
      {children && <div className="mt-1 text-sm text-slate-500">{children}</div>}
    </div>
  );
}

export function PageTitle({ title, subtitle }) {
  return (
    <div className="mb-5">
      <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
      {subtitle && <p className="mt-0.5 text-sm text-slate-500">{subtitle}</p>}
    </div>
  );
}

export function Waiting() {
  return <p className="text-sm text-slate-500">Waiting for the node…</p>;
}
