import { defineFlows } from './flows';

// The browser's language is Chinese: so is the app.
defineFlows('zh-CN');
