// One JSON line per event (pino). Children carry context: room, kernel, user.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino({ level }, destination) : pino({ level });
}
