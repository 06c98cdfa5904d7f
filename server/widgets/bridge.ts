// The ipywidgets comm bridge (widget message protocol 2.1, target `jupyter.widget`): the server
// is every kernel's widget front end (docs/ARCHITECTURE.md, "The server is the kernel's front
// end"). This file wires it: it plugs into the execution service's sessions, keeps one
// WidgetSession per kernel session, and takes users' custom messages (a Button click) over REST
// or a document's socket. The work is done by fromKernel.ts (kernel → document: models, updates,
// Output widgets' captures via capture.ts), toKernel.ts (document → kernel: clients' changes and
// custom messages, in order), stateBound.ts (what a kernel's widgets may hold) and kernelGone.ts
// (restart, cull, death, stop).
//
// A change or message from a client reaches the kernel only if its author may drive it *at the
// time of the change*: for a private document, its user as a runner or more; for the shared
// document, an editor or more — the same rules as the REST widget route, so a member demoted to
// viewer no longer moves their kernel's widgets even through their private document.
import type { JSONObject } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';
import { can } from '../../shared/roles.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import type { ExecutionPlugins, ExecutionService } from '../execution/service.ts';
import type { KernelSession, SessionHooks } from '../execution/session.ts';
import { HttpError } from '../errors.ts';
import type { NotebookSummary } from '../notebooks/service.ts';
import type { ManagedKernel } from '../kernels/manager.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../sync/connection.ts';
import { send as sendTo } from '../sync/connection.ts';
import type { CustomWidgetMessage, Room } from '../sync/room.ts';
import { KernelToDocument } from './fromKernel.ts';
import { kernelGone } from './kernelGone.ts';
import { StateBound } from './stateBound.ts';
import { ClientsToKernel } from './toKernel.ts';
import type { CustomVerdict } from './widgetSession.ts';
import { WidgetSession } from './widgetSession.ts';

export interface WidgetBridgeOptions {
  /** Widget state one kernel may keep in its document, all models and buffers included. */
  maxStateBytes: number;
  /** A user's role on a notebook now (undefined: not a member). */
  roleOf(notebookId: string, userId: string): Promise<Role | undefined>;
}

export class WidgetBridge {
  private readonly sessions = new Map<KernelSession, WidgetSession>();
  /** The session whose kernel's widgets a loaded document holds, for messages arriving on its socket. */
  private readonly byRoom = new WeakMap<Room, WidgetSession>();
  private readonly toKernel: ClientsToKernel;
  private readonly fromKernel: KernelToDocument;
  /** The sessions' kernels, to find the one holding a model a request names (set by the plugin). */
  private execution: ExecutionService | undefined;

  constructor(
    private readonly log: Logger,
    options: WidgetBridgeOptions,
  ) {
    const bound = new StateBound(options.maxStateBytes, log);
    this.toKernel = new ClientsToKernel(log, options, (session) => this.state(session));
    this.fromKernel = new KernelToDocument(log, bound, options.maxStateBytes, this.toKernel);
  }

  /** The ExecutionService plugin wiring this bridge into kernel sessions. */
  plugin(): ExecutionPlugins {
    return {
      hooksFor: (execution) => {
        this.execution = execution;
        return this.hooks();
      },
      onKernelAttached: (session, managed) => this.attach(session, managed),
      onKernelReset: (session, reason) => kernelGone(this.state(session), reason, this.log),
    };
  }

  private hooks(): Partial<SessionHooks> {
    return { claimIopub: (session, msg, run) => this.fromKernel.handle(this.state(session), msg, run) };
  }

  private state(session: KernelSession): WidgetSession {
    let state = this.sessions.get(session);
    if (!state) {
      state = new WidgetSession(session);
      this.sessions.set(session, state);
      this.byRoom.set(session.target.room, state);
      this.toKernel.observeClients(state);
    }
    return state;
  }

  private attach(session: KernelSession, managed: ManagedKernel): void {
    const state = this.state(session);
    if (state.kernel && state.kernel !== managed.kernel) kernelGone(state, 'restarted', this.log);
    state.kernel = managed.kernel;
  }

  /**
   * A custom message over REST for a model of the user's own kernel or of the shared kernel,
   * whichever holds it: sent if the user's role lets them drive that kernel (runners their own,
   * editors and owners the shared one).
   */
  async customFromUser(notebook: NotebookSummary, userId: string, modelId: string, content: JSONObject): Promise<CustomVerdict> {
    const own = await this.execution?.existingSession({ notebookId: notebook.id, userId });
    if (own?.results.widgets.has(modelId)) {
      if (!can.runUserCells(notebook.role)) throw new HttpError(403, 'forbidden', 'your role may not use widgets');
      return this.toKernel.custom(own, modelId, userId, content);
    }
    const shared = await this.execution?.existingSession({ notebookId: notebook.id, shared: true });
    if (shared?.results.widgets.has(modelId)) {
      if (!can.editShared(notebook.role)) throw new HttpError(403, 'forbidden', 'only editors and owners may use shared widgets');
      return this.toKernel.custom(shared, modelId, userId, content);
    }
    throw new HttpError(404, 'widget_not_found', `no widget "${modelId}" of yours or shared in this notebook`);
  }

  /**
   * A client's custom message on a document's socket: to the kernel whose widgets that document
   * holds, if the model is one of them and its sender may drive that kernel; otherwise the sender
   * hears why not.
   */
  fromClient(room: Room, conn: Connection, message: CustomWidgetMessage): void {
    const state = this.byRoom.get(room);
    const verdict = state
      ? this.toKernel.custom(state.session, message.modelId, conn.userId, message.content as JSONObject, message.buffers)
      : Promise.resolve<CustomVerdict>({ sent: false, code: 'widget_not_found', reason: 'no kernel holds the widgets of this document' });
    verdict
      .then((result) => {
        if (!result.sent) sendTo(conn, encodeWidgetMessage({ kind: 'refused', modelId: message.modelId, reason: result.reason }));
      })
      .catch((err: unknown) => this.log.error({ err, model: message.modelId, user: conn.userId }, 'answering a custom widget message failed'));
  }
}
