// `input()`: a kernel's stdin request becomes a prompt in the private document of the user whose
// run asked (even for a shared cell), and that user's answer goes back to the kernel. One prompt
// per user and notebook at a time; a prompt ends with its answer or with its run.
import { privateDoc } from '../../shared/layout.ts';
import { privateRoom } from '../../shared/rooms.ts';
import type { StdinRequest } from '../../shared/schema.ts';
import { HttpError } from '../errors.ts';
import type { KernelManager } from '../kernels/manager.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import type { Rooms } from '../sync/rooms.ts';
import type { ActiveRun, KernelSession } from './session.ts';
import { KERNEL_ORIGIN } from './resultsWriter.ts';

interface PendingInput {
  session: KernelSession;
  run: ActiveRun;
  msg: KernelMessage<'input_request'>;
  requestId: string;
}

export class InputPrompts {
  private readonly pending = new Map<string, PendingInput>();

  constructor(
    private readonly rooms: Rooms,
    private readonly kernels: KernelManager,
    private readonly log: Logger,
  ) {}

  /** A run asked for input: show the prompt to the user whose run it is. */
  requested(session: KernelSession, run: ActiveRun, msg: KernelMessage<'input_request'>): void {
    const requestId = msg.header.msg_id;
    const request: StdinRequest = { prompt: msg.content.prompt, password: msg.content.password, cell_id: run.cellId, request_id: requestId };
    this.pending.set(`${session.key.notebookId}/${run.userId}`, { session, run, msg, requestId });
    this.writePrompt(session.key.notebookId, run.userId, (stdin) => stdin.set('request', request), 'showing an input() prompt');
  }

  /** A run ended: its prompt, if one is still shown, goes. */
  runEnded(notebookId: string, userId: string, msgId: string): void {
    const key = `${notebookId}/${userId}`;
    const pending = this.pending.get(key);
    if (!pending || pending.run.msgId !== msgId) return;
    this.pending.delete(key);
    this.clearPrompt(notebookId, userId, pending.requestId);
  }

  /** Answers the caller's pending `input()`. Only the user whose run asked may answer. */
  async answer(notebookId: string, userId: string, value: string): Promise<void> {
    const key = `${notebookId}/${userId}`;
    const pending = this.pending.get(key);
    if (!pending) throw new HttpError(409, 'no_input_pending', 'no input() is waiting for you');
    const managed = this.kernels.get(pending.session.key);
    if (!managed) throw new HttpError(409, 'kernel_gone', 'the kernel that asked for input is gone');
    this.pending.delete(key);
    await managed.kernel.sendStdin({ value }, pending.msg);
    this.clearPrompt(notebookId, userId, pending.requestId);
  }

  private clearPrompt(notebookId: string, userId: string, requestId: string): void {
    this.writePrompt(
      notebookId,
      userId,
      (stdin) => {
        if (stdin.get('request')?.request_id === requestId) stdin.delete('request');
      },
      'clearing an input() prompt',
    );
  }

  /** Changes a user's prompt map; nobody waits for it, so a failure is logged. */
  private writePrompt(notebookId: string, userId: string, change: (stdin: ReturnType<typeof privateDoc>['stdin']) => void, what: string): void {
    this.rooms
      .acquire(privateRoom(notebookId, userId))
      .then((lease) => {
        try {
          lease.room.doc.transact(() => change(privateDoc(lease.room.doc).stdin), KERNEL_ORIGIN);
        } finally {
          lease.release();
        }
      })
      .catch((err: unknown) => this.log.error({ err, notebook: notebookId, user: userId }, `${what} failed`));
  }
}
