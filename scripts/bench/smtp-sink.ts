/** A minimal in-process SMTP server for the mail benchmark: accepts everything, reads each message, keeps a count. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CountingSink {
  url: string;
  readonly messages: number;
  readonly bytes: number;
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let messages = 0;
  let bytes = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 100,
    onData(stream, _session, callback) {
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        messages++;
        callback();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get messages() {
      return messages;
    },
    get bytes() {
      return bytes;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
