import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import App from './App.jsx';
import { QuorumProvider } from './store.jsx';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <QuorumProvider>
      <App />
    </QuorumProvider>
  </StrictMode>,
);
