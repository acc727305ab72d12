// Playground: chat with any model of the cluster through /v1/chat/completions, streaming. Reasoning is shown
// apart, in a collapsible block; Stop aborts the request (the node then cancels generation). Each answer says
// which node served it, its time to first token and its tokens per second.
import { useEffect, useRef, useState } from 'react';
import { useQuorum } from '../store.jsx';
import { buildChatRequest, streamChat } from '../lib/chat.js';
import { formatDuration, formatRate } from '../lib/format.js';
import { Button, Empty, ErrorText, Field, PageTitle, Waiting, inputClass } from '../components/ui.jsx';

function AnswerStats({ msg }) {
  const parts = [];
  if (msg.ttftMs != null) parts.push(`first token ${formatDuration(msg.ttftMs)}`);
  if (msg.tps != null) parts.push(`${formatRate(msg.tps)} tokens/s`);
  if (msg.usage?.completion_tokens != null) parts.push(`${msg.usage.completion_tokens} tokens`);
  if (!parts.length) return null;
  return (
    <span data-testid="answer-stats" className="tabular-nums">
      {parts.join(' · ')}
    </span>
  );
}

function Assistant({ msg }) {
  const streaming = msg.status === 'streaming';
  return (
    <div className="flex flex-col gap-2">
      {msg.reasoning && (
        <details
          data-testid="reasoning"
          open={streaming && !msg.content ? true : undefined}
          className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600"
        >
          <summary className="cursor-pointer select-none text-xs font-medium text-slate-500">Reasoning</summary>
          <p className="mt-2 whitespace-pre-wrap">{msg.reasoning}</p>
        </details>
      )}
      <div
        data-testid="answer"
        className="whitespace-pre-wrap rounded-lg bg-white px-4 py-3 text-sm leading-relaxed text-slate-900 ring-1 ring-slate-200"
      >
        {msg.content || (streaming ? <span className="text-slate-400">…</span> : '')}
      </div>
      {msg.status === 'stopped' && <p className="text-xs text-amber-700">Stopped.</p>}
      {msg.status === 'error' && <ErrorText>{msg.error}</ErrorText>}
      <div className="flex flex-wrap gap-x-4 text-xs text-slate-500">
        {(msg.servedBy || msg.servedById) && (
          <span data-testid="served-by">Served by {msg.servedBy || msg.servedById}</span>
        )}
        <AnswerStats msg={msg} />
      </div>
    </div>
  );
}

function Conversation({ messages }) {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [messages]);
  return (
    <div ref={ref} className="min-h-0 flex-1 overflow-y-auto px-5 py-4" aria-live="polite">
      {messages.length === 0 ? (
        <p className="mt-10 text-center text-sm text-slate-500">Ask something to start. Answers stream in here.</p>
      ) : (
        <ol className="flex flex-col gap-4">
          {messages.map((m, i) => (
            <li key={i} data-testid={m.role === 'user' ? 'user-message' : 'assistant-message'}>
              {m.role === 'user' ? (
                <div className="ml-auto w-fit max-w-[80%] whitespace-pre-wrap rounded-lg bg-indigo-600 px-4 py-2 text-sm text-white">
                  {m.content}
                </div>
              ) : (
                <Assistant msg={m} />
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export default function Playground() {
  const { state } = useQuorum();
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('0.7');
  const [maxTokens, setMaxTokens] = useState('1024');
  const [input, setInput] = useState('');
  const [messages, setMessages] = useState([]);
  const controller = useRef(null);
  const s = state.snapshot;
  useEffect(() => () => controller.current?.abort(), []);
  if (!s) return <Waiting />;

  const models = s.models;
  const chosen = models.some((m) => m.id === model) ? model : (models[0]?.id ?? '');
  const busy = messages.at(-1)?.status === 'streaming';

  const updateLast = (patch) =>
    setMessages((ms) => ms.map((m, i) => (i === ms.length - 1 ? { ...m, ...patch } : m)));

  async function send(e) {
    e?.preventDefault();
    const text = input.trim();
    if (!text || !chosen || busy) return;
    const history = [
      ...messages.filter((m) => m.role === 'user' || (m.status === 'done' && m.content)),
      { role: 'user', content: text },
    ];
    const body = buildChatRequest({ model: chosen, system, history, temperature, maxTokens });
    setInput('');
    setMessages((ms) => [...ms, { role: 'user', content: text }, { role: 'assistant', content: '', reasoning: '', status: 'streaming', model: chosen }]);
    const ctrl = new AbortController();
    controller.current = ctrl;
    await streamChat(body, { signal: ctrl.signal, onUpdate: updateLast });
    if (controller.current === ctrl) controller.current = null;
  }

  function stop() {
    controller.current?.abort();
  }

  return (
    <div className="flex h-[calc(100vh-7.5rem)] min-h-[28rem] flex-col">
      <PageTitle title="Playground" subtitle="Chat with any model of the cluster" />
      {models.length === 0 ? (
        <Empty title="No models to chat with">
          Add a model first: copy a <code>.gguf</code> file into the models folder (see{' '}
          <a className="text-indigo-700 underline" href="#/models">Models</a>), or add an engine in{' '}
          <a className="text-indigo-700 underline" href="#/settings">Settings</a>.
        </Empty>
      ) : (
        <div className="flex min-h-0 flex-1 gap-5">
          <section className="flex min-w-0 flex-1 flex-col overflow-hidden rounded-xl border border-slate-200 bg-slate-50 shadow-sm">
            <Conversation messages={messages} />
            <form onSubmit={send} className="flex items-end gap-2 border-t border-slate-200 bg-white p-3">
              <label htmlFor="pg-message" className="sr-only">
                Message
              </label>
              <textarea
                id="pg-message"
                rows={2}
                value={input}
                onChange={(e) => setInput(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey) send(e);
                }}
                placeholder="Message (Enter to send, Shift+Enter for a new line)"
                className={`${inputClass} resize-none`}
              />
              {busy ? (
                <Button key="stop" variant="danger" onClick={stop} data-testid="stop-button">
                  Stop
                </Button>
              ) : (
                <Button key="send" type="submit" variant="primary" disabled={!input.trim()} data-testid="send-button">
                  Send
                </Button>
              )}
            </form>
          </section>
          <aside className="flex w-72 shrink-0 flex-col gap-4 overflow-y-auto rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <Field label="Model" id="pg-model">
              <select id="pg-model" value={chosen} onChange={(e) => setModel(e.target.value)} className={inputClass}>
                {models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                    {m.loaded ? ' (loaded)' : ''}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Temperature" id="pg-temperature">
              <input
                id="pg-temperature"
                type="number"
                min="0"
                max="2"
                step="0.1"
                value={temperature}
                onChange={(e) => setTemperature(e.target.value)}
                className={inputClass}
              />
            </Field>
            <Field label="Max tokens" id="pg-max-tokens">
              <input
                id="pg-max-tokens"
                type="number"
                min="1"
                step="1"
                value={maxTokens}
                onChange={(e) => setMaxTokens(e.target.value)}
                className={inputClass}
              />
            </Field>
            <Field label="System prompt" id="pg-system">
              <textarea
                id="pg-system"
                rows={5}
                value={system}
                onChange={(e) => setSystem(e.target.value)}
                placeholder="You are a helpful assistant."
                className={inputClass}
              />
            </Field>
            <Button onClick={() => setMessages([])} disabled={busy || messages.length === 0}>
              Clear conversation
            </Button>
          </aside>
        </div>
      )}
    </div>
  );
}
