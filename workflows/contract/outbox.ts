/** Caught mail as the local mail catcher keeps it and the portal's outbox shows it. */

/** One caught message. */
export interface CaughtMail {
  messageId: string;
  /** When the catcher received it (ISO). */
  at: string;
  /** `request`, `reminder`, `escalation`, `returned`, `review`, `summary`, `lagging`, ... or `other`. */
  kind: string;
  to: string[];
  cc: string[];
  subject: string;
  /** Every http(s) URL of the plain-text body, in order, each once. */
  links: string[];
  text: string;
  html: string;
}

/** What the portal reads caught mail through. */
export interface MailStore {
  /** Newest first. */
  list(): Promise<CaughtMail[]>;
}
