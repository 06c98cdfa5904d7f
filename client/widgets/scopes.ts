// One widget manager per scope: user-scope outputs render models from my private document,
// shared-scope outputs from the shared document.
import type { Scope } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { can } from '../../shared/roles.ts';
import type { DocConnection } from '../sync/connection.ts';
import { notify } from '../dom.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { WidgetLibraries } from './libraries.ts';
import { BUNDLED_MODULES, YjsWidgetManager } from './manager.ts';

export interface WidgetScopes {
  render(scope: Scope, modelId: string, host: HTMLElement): void;
  dispose(): void;
}

/**
 * One loader for the page, both scopes and every notebook opened in it: AMD's `define` is a global
 * of the page, and a library's bundle (with its stylesheet) should run once, not on every visit.
 */
let libraries: WidgetLibraries | undefined;
function pageLibraries(): WidgetLibraries {
  return (libraries ??= new WidgetLibraries(BUNDLED_MODULES));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createWidgetScopes(session: Pick<NotebookSession, 'notebookId' | 'role' | 'shared' | 'private'>): WidgetScopes {
  const reportError = (context: string, error: unknown) => {
    console.error(`Widget error (${context})`, error);
    notify(`Widget error (${context}): ${error instanceof Error ? error.message : String(error)}`);
  };
  // A model's custom messages travel on the socket of the document that holds it.
  const sendCustom = (connection: DocConnection) => (modelId: string, content: unknown, buffers: Uint8Array[]) => {
    const message = { kind: 'custom' as const, modelId, content: isObject(content) ? content : {}, buffers };
    if (!connection.sendWidgetMessage(message)) notify('Widget message not sent: not connected to the server.');
  };
  const libraries = pageLibraries();
  const managers: Record<Scope, YjsWidgetManager> = {
    user: new YjsWidgetManager({
      libraries,
      widgets: privateDoc(session.private.doc).widgets,
      localOrigin: {},
      readOnly: false,
      sendCustom: sendCustom(session.private),
      reportError,
    }),
    shared: new YjsWidgetManager({
      libraries,
      widgets: sharedDoc(session.shared.doc).widgets,
      localOrigin: {},
      // Writing a read-only document gets the connection closed; such users only watch.
      readOnly: !can.editShared(session.role),
      sendCustom: sendCustom(session.shared),
      reportError,
    }),
  };
  const listen = (connection: DocConnection, manager: YjsWidgetManager) =>
    connection.onWidgetMessage((message) => {
      if (message.kind === 'custom') manager.receiveCustom(message.modelId, message.content, message.buffers);
      else notify(`Widget message refused: ${message.reason}`);
    });
  const unlisten = [listen(session.private, managers.user), listen(session.shared, managers.shared)];
  return {
    render: (scope, modelId, host) => managers[scope].renderView(modelId, host),
    dispose() {
      for (const off of unlisten) off();
      managers.user.dispose();
      managers.shared.dispose();
    },
  };
}
