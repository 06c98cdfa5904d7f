// One widget manager per scope: user-scope outputs render models from my private document,
// shared-scope outputs from the shared document.
import type { Scope } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/schema.ts';
import { can } from '../../shared/roles.ts';
import { api } from '../api.ts';
import { notify } from '../dom.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { YjsWidgetManager } from './manager.ts';

export interface WidgetScopes {
  render(scope: Scope, modelId: string, host: HTMLElement): void;
  dispose(): void;
}

export function createWidgetScopes(session: Pick<NotebookSession, 'notebookId' | 'role' | 'shared' | 'private'>): WidgetScopes {
  const reportError = (context: string, error: unknown) => {
    console.error(`Widget error (${context})`, error);
    notify(`Widget error (${context}): ${error instanceof Error ? error.message : String(error)}`);
  };
  const sendCustom = (modelId: string, content: unknown) => api.widgetMessage(session.notebookId, modelId, content);
  const managers: Record<Scope, YjsWidgetManager> = {
    user: new YjsWidgetManager({
      widgets: privateDoc(session.private.doc).widgets,
      localOrigin: {},
      readOnly: false,
      sendCustom,
      reportError,
    }),
    shared: new YjsWidgetManager({
      widgets: sharedDoc(session.shared.doc).widgets,
      localOrigin: {},
      // Writing a read-only document gets the connection closed; such users only watch.
      readOnly: !can.editShared(session.role),
      sendCustom,
      reportError,
    }),
  };
  return {
    render: (scope, modelId, host) => managers[scope].renderView(modelId, host),
    dispose() {
      managers.user.dispose();
      managers.shared.dispose();
    },
  };
}
