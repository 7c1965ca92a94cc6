import { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Express } from "express";

/**
 * Request and response classes whose prototypes are the app's own `app.request` / `app.response`,
 * for `http.createServer({ IncomingMessage, ServerResponse })`.
 *
 * Express gives every request and response its prototype with `Object.setPrototypeOf` when it
 * enters the app. On a plain node object that is a prototype change per request: slow, and it makes
 * V8 keep much of each request's object graph through young-generation collections, so it is
 * promoted into old space and fills it (an old-space mark-compact every few seconds at a few hundred
 * calls a second). When the server builds them with the app's prototypes already in place, express
 * sets the prototype each already has, which changes nothing.
 */
export function expressServerClasses(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  const requestPrototype = (app as unknown as { request: IncomingMessage }).request;
  const responsePrototype = (app as unknown as { response: ServerResponse }).response;
  function Request(this: IncomingMessage, socket: Socket): void {
    IncomingMessage.call(this, socket);
  }
  Request.prototype = requestPrototype;
  function Response(this: ServerResponse, req: IncomingMessage, options?: unknown): void {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: unknown) => void).call(this, req, options);
  }
  Response.prototype = responsePrototype;
  return { IncomingMessage: Request as unknown as typeof IncomingMessage, ServerResponse: Response as unknown as typeof ServerResponse };
}
