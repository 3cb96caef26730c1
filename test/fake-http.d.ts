/**
 * Types of what the fake model servers share (fake-http.js): a scripted, recording server whose
 * answers each server (fake-ollama/, fake-openai/) writes in its own wire format.
 */

/** Turns in order, one per chat request that passes the server's own checks, or a function of the request and its 0-based index. */
export type Script<Turn, Body> = Turn[] | ((request: Body, index: number) => Turn | undefined | Promise<Turn | undefined>);

/** One request as the server recorded it. */
export interface Recorded {
  method: string;
  path: string;
  /** Parsed JSON, or null when the body was empty or not JSON. */
  body: unknown;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** Set on a chat request whose connection the client closed before the answer was complete. */
  clientClosedEarly?: true;
}

/** What every chat request body has, whatever the API: the model, its messages, the tools, streaming. */
export interface ChatBody<Message> {
  model: string;
  messages: Message[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  stream?: boolean;
  [key: string]: unknown;
}

/** What a scripted turn says whatever the wire format; the stream's items are NDJSON lines or SSE chunks. */
export interface ScriptedTurn {
  content?: string;
  /** Answer exactly these bytes (a recorded stream), after the server's own checks. */
  raw?: { body: string; status?: number; contentType?: string };
  /** Stream the content in pieces of this many characters (default: up to three words a piece). */
  chunkSize?: number;
  /** Wait this long before answering (before the headers, as a server does while it loads a model). */
  delayMs?: number;
  /** Send this many items of the stream, then destroy the socket. */
  cutAfter?: number;
  /** Send this many items of the stream, then hold the connection open until the client leaves. */
  hangAfter?: number;
}

/** A running fake server. */
export interface ScriptedServer<Body, Turn, Request extends Recorded = Recorded> {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Every request, in order of arrival. */
  readonly requests: Request[];
  /** The bodies of the chat requests, in order. */
  chatRequests(): Body[];
  /** Replaces the script and starts again from its first turn. */
  setScript(script: Script<Turn, Body>): void;
  /** Stops listening and destroys every open connection; resolves when nothing is left. */
  close(): Promise<void>;
}

/** How a turn's content is cut into streamed pieces: `chunkSize` characters, or up to three words a piece. */
export function splitContent(content: string, chunkSize?: number): string[];
