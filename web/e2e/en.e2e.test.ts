import { defineFlows } from './flows';

// The browser's language is English: so is the app.
defineFlows('en');
