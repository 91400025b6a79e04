/** The mail catcher's interface, as the portal's outbox reads it; `npm start` gives a real one. */
export type { CaughtMail, MailStore } from '../../workflows/contract/outbox.js';
