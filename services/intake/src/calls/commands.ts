/**
 * The commands of the call aggregate (see call.ts for the life cycle and the decider). Each
 * carries the call id and `now` (server time, UTC ISO-8601).
 */
import type { z } from 'zod';
import type { CallCancelled, CallReceived, CallTransferred } from '@cad110/contracts';
import type { CallStatus, LocationWithSource } from './state';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export interface CommandBase {
  callId: string;
  now: string;
  /** user id of the acting user (recorded in CallClassified.classifiedBy) */
  by?: string;
}

export interface ClassificationInput {
  subtype: string;
  /** must match the subtype's category when given */
  category?: string;
  /** 1 (most urgent) .. 4; default the subtype's default priority */
  priority?: number;
  kind?: 'report' | 'help' | 'complaint';
  reason?: string;
  sourceCode?: string;
  sourceGroup?: string;
}

export interface CreateCall extends CommandBase {
  type: 'CreateCall';
  channel: Data<typeof CallReceived>['channel'];
  ringingAt?: string;
  answeredAt?: string;
  /** when the record was created in CAD (default now; replays give the source time) */
  createdAt?: string;
  /** when the call went to dispatch (default now; replays give the source time) */
  handedAt?: string;
  caller?: { number?: string; name?: string };
  location?: LocationWithSource;
  classification?: ClassificationInput;
  narrative?: string;
  /** SOP answers kept as data (with the narrative entry) */
  sopAnswers?: { index: number; question: string; answer: string }[];
  handToDispatch?: boolean;
  externalRef?: { source: string; id: string };
  /**
   * the best duplicate candidate the lookup found at creation when its score reached the flag
   * threshold (call-service.ts): recorded as CallDuplicateSuspected before any hand-over
   */
  suspectedDuplicate?: { callId: string; score: number; matchedOn: string[]; distanceMetres: number | null; secondsApart: number };
}

export interface RecordCaller extends CommandBase {
  type: 'RecordCaller';
  number?: string;
  name?: string;
}

export interface LocateCall extends CommandBase {
  type: 'LocateCall';
  location: LocationWithSource;
}

export interface ClassifyCall extends CommandBase {
  type: 'ClassifyCall';
  classification: ClassificationInput;
}

export interface AppendNarrative extends CommandBase {
  type: 'AppendNarrative';
  text: string;
}

/** What the service knows about the call a duplicate link points to (read in the same transaction). */
export interface DuplicateTarget {
  callId: string;
  status: CallStatus;
  duplicateOf?: string | null;
}

export interface LinkAsDuplicate extends CommandBase {
  type: 'LinkAsDuplicate';
  duplicateOfCallId: string;
  /** the target call as stored, or null when no such call exists */
  target: DuplicateTarget | null;
  reason: string;
  distanceMetres?: number;
  secondsApart?: number;
  score?: number;
  matchedOn?: string[];
}

export interface ConfirmAsNew extends CommandBase {
  type: 'ConfirmAsNew';
  candidateCallIds: string[];
  reason?: string;
}

export interface TransferCall extends CommandBase {
  type: 'TransferCall';
  to: Data<typeof CallTransferred>['to'];
  agency?: string;
  reason?: string;
}

export interface CancelCall extends CommandBase {
  type: 'CancelCall';
  reason: Data<typeof CallCancelled>['reason'];
  note?: string;
}

export interface HandOverCall extends CommandBase {
  type: 'HandOverCall';
}

export interface CloseCall extends CommandBase {
  type: 'CloseCall';
  reason?: string;
}

export type CallCommand =
  | CreateCall
  | RecordCaller
  | LocateCall
  | ClassifyCall
  | AppendNarrative
  | LinkAsDuplicate
  | ConfirmAsNew
  | TransferCall
  | CancelCall
  | HandOverCall
  | CloseCall;

