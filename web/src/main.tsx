// The dashboard's entry: signs in (a key from the address or typed), then routes to the pages.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { reloadOnOfferedKey, takeKeyFromAddress } from './router';
import './styles.css';

const offeredKey = takeKeyFromAddress();
reloadOnOfferedKey();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App offeredKey={offeredKey} />
  </StrictMode>,
);
