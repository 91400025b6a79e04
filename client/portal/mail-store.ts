/** The mail catcher's interface, as the portal's outbox reads it; `npm start` gives a real one. */

/** A message the local mail catcher caught. */
export interface CaughtMail {
  messageId: string;
  at: string;
  kind: string;
  to: string[];
  cc: string[];
  subject: string;
  links: string[];
  text: string;
  html: string;
}

/** The caught messages, newest first. */
export interface MailStore {
  list(): Promise<CaughtMail[]>;
}
