/**
 * The call aggregate's state and events (接警): the shapes `evolve` folds and `decide` reads.
 * Kept apart from call.ts so commands.ts and create.ts can name them without an import cycle.
 */
import type { z } from 'zod';
import type {
  CallCancelled,
  CallClassified,
  CallClosed,
  CallConfirmedAsNew,
  CallDuplicateSuspected,
  CallerRecorded,
  CallHandedToDispatch,
  CallLinkedAsDuplicate,
  CallLocated,
  CallNarrativeAppended,
  CallReceived,
  CallTransferred,
  Location,
} from '@cad110/contracts';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type CallEvent =
  | { type: 'CallReceived'; data: Data<typeof CallReceived> }
  | { type: 'CallerRecorded'; data: Data<typeof CallerRecorded> }
  | { type: 'CallLocated'; data: Data<typeof CallLocated> }
  | { type: 'CallClassified'; data: Data<typeof CallClassified> }
  | { type: 'CallNarrativeAppended'; data: Data<typeof CallNarrativeAppended> }
  | { type: 'CallLinkedAsDuplicate'; data: Data<typeof CallLinkedAsDuplicate> }
  | { type: 'CallConfirmedAsNew'; data: Data<typeof CallConfirmedAsNew> }
  | { type: 'CallDuplicateSuspected'; data: Data<typeof CallDuplicateSuspected> }
  | { type: 'CallTransferred'; data: Data<typeof CallTransferred> }
  | { type: 'CallCancelled'; data: Data<typeof CallCancelled> }
  | { type: 'CallHandedToDispatch'; data: Data<typeof CallHandedToDispatch> }
  | { type: 'CallClosed'; data: Data<typeof CallClosed> };

export const CALL_STATUSES = ['open', 'handed-to-dispatch', 'duplicate', 'transferred', 'cancelled', 'closed'] as const;
export type CallStatus = 'new' | (typeof CALL_STATUSES)[number];

export type LocationWithSource = Location & { source: Data<typeof CallLocated>['source'] };

/**
 * The instants the standards measure (UTC ISO-8601), and the two intervals derived from them
 * (seconds). See services/intake/README.md "Timestamps".
 */
export interface CallTimings {
  ringingAt?: string;
  answeredAt?: string;
  createdAt?: string;
  /** first classification */
  classifiedAt?: string;
  handedAt?: string;
  closedAt?: string;
  /** NENA-STA-020 call answer time: answeredAt − ringingAt (only when telephony gave ringingAt) */
  answerSeconds?: number;
  /** NFPA 1225 alarm processing time: handedAt − answeredAt (only once handed to dispatch) */
  processingSeconds?: number;
}

export interface CallState {
  status: CallStatus;
  callId?: string;
  channel?: string;
  timings: CallTimings;
  location?: LocationWithSource;
  classification?: Omit<Data<typeof CallClassified>, 'callId' | 'classifiedAt'>;
  hasCaller: boolean;
  narrativeEntries: number;
  duplicateOf?: { callId?: string; incidentId?: string };
  /** set by CallDuplicateSuspected: the lookup at creation found a high-scoring candidate (flag for the call taker) */
  suspectedDuplicateOf?: { callId: string; score: number };
  transferredTo?: Data<typeof CallTransferred>['to'];
  cancelReason?: Data<typeof CallCancelled>['reason'];
  externalRef?: { source: string; id: string };
}

export const initialCallState: CallState = { status: 'new', timings: {}, hasCaller: false, narrativeEntries: 0 };
