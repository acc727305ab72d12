// Renders the whole app (store + shell) at a hash route, with a fake EventSource and the UI token meta tag.
import { render } from '@testing-library/react';
import App from '../App.jsx';
import { QuorumProvider } from '../store.jsx';
import { FakeEventSource } from './fakeEventSource.js';

export const TEST_TOKEN = 'tok-123';

export function renderApp(hash = '#/') {
  FakeEventSource.install();
  document.head.querySelector('meta[name="quorum-ui-token"]')?.remove();
  const meta = document.createElement('meta');
  meta.setAttribute('name', 'quorum-ui-token');
  meta.setAttribute('content', TEST_TOKEN);
  document.head.appendChild(meta);
  window.location.hash = hash;
  const view = render(
    <QuorumProvider>
      <App />
    </QuorumProvider>,
  );
  return { ...view, source: FakeEventSource.last };
}
