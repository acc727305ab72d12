// Entry of the relay dashboard (relay.html): the same build, styles and shared pieces as the node's UI.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../index.css';
import RelayApp from './RelayApp.jsx';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <RelayApp />
  </StrictMode>,
);
