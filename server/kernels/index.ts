// The kernels layer's names in one place, for tests and tools; the server's own modules import from the files that define them.
export { ConnectionClosedError, KernelEngineUnreachableError, KernelLimitError, NoReplyError, KernelSpecNotFoundError, KernelStartError, NoSuchKernelError, ProtocolError } from './errors.ts';
export type { KernelLimitScope } from './errors.ts';
export type { Logger } from './logger.ts';
export { silentLogger } from './logger.ts';
export { TypedEmitter } from './emitter.ts';
export { CHANNELS, PROTOCOL_VERSION, createMessage, isMessageType, parentMsgId } from './messages.ts';
export type {
  Channel,
  ContentOf,
  ExecutionState,
  JSONObject,
  JSONValue,
  KernelMessage,
  MessageHeader,
  MimeBundle,
  MsgContent,
  MsgType,
  ReplyOf,
  RequestChannel,
  RequestType,
} from './messages.ts';
export { decodeMessage, encodeMessage } from './wire.ts';
export { KernelConnection } from './connection.ts';
export type { ConnectionEvents, ConnectionInfo, KernelConnectionOptions, RequestOptions } from './connection.ts';
export type { IopubListener, KernelRequest, StdinListener } from './request.ts';
export { dataDirs, findKernelSpecs, parseKernelSpec, resolveKernelSpec, scanKernelSpecs } from './kernelspec.ts';
export type { InterruptMode, KernelSpec, KernelSpecDiscoveryOptions } from './kernelspec.ts';
export type { KernelTuning, LaunchOptions } from './launcher.ts';
export { LocalKernel, launchKernel } from './kernel.ts';
export type { Kernel, KernelEvents, KernelProvider, KernelStartOptions, KernelState } from './provider.ts';
export { LocalKernelProvider } from './localProvider.ts';
export { GatewayKernelProvider } from './gatewayProvider.ts';
export { RemoteKernel } from './remoteKernel.ts';
export { cleanupOrphans } from './orphans.ts';
export type { CleanupResult } from './orphans.ts';
export { KernelManager, createKernelManager } from './manager.ts';
export { kernelKeyId } from './kernelKeys.ts';
export type { KernelManagerEvents, KernelManagerOptions, ManagedKernel, ManagedKernelStatus } from './manager.ts';
export type { KernelKey, SharedKernelKey, UserKernelKey } from './kernelKeys.ts';
