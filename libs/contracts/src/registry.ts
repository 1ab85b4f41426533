import { z } from 'zod';
import { EventEnvelope, EventEnvelopeSchema } from './envelope';
import type { TopicKey } from './topics';

/** Upgrades `data` of version n to version n + 1. */
export type Upcaster = (data: any) => unknown;

/**
 * A versioned event type: its latest data schema, the upcasters that lift older stored
 * versions to it, the topic it is published on, and an optional redaction applied before
 * the event leaves its owning service (personal data stays in the owner's store).
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  type: TType;
  version: number;
  schema: TSchema;
  topic: TopicKey;
  /** upcasters[n] lifts version n to n + 1 */
  upcasters: Readonly<Record<number, Upcaster>>;
  publicData?: (data: z.infer<TSchema>) => z.infer<TSchema>;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(def: {
  type: TType;
  version?: number;
  schema: TSchema;
  topic: TopicKey;
  upcasters?: Record<number, Upcaster>;
  publicData?: (data: z.infer<TSchema>) => z.infer<TSchema>;
}): EventDefinition<TType, TSchema> {
  return { version: 1, upcasters: {}, ...def };
}

/** Raised when a message or stored event cannot be read; the reason goes to the dead-letter record. */
export class ContractError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

function issuesOf(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** A set of event definitions that can parse, upcast and validate envelopes. */
export class EventRegistry {
  private readonly byType = new Map<string, EventDefinition>();

  constructor(defs: readonly EventDefinition[]) {
    for (const d of defs) {
      if (this.byType.has(d.type)) throw new Error(`duplicate event type ${d.type}`);
      this.byType.set(d.type, d);
    }
  }

  get(type: string): EventDefinition | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  /**
   * Validates an envelope (object or JSON text), upcasts its data to the latest schema
   * version and validates the data.
   * @throws ContractError with every issue found (bad JSON, unknown type, future version, invalid fields).
   */
  parse(raw: unknown): EventEnvelope {
    let value = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        value = JSON.parse(raw.toString());
      } catch (e) {
        throw new ContractError(`message is not JSON: ${(e as Error).message}`);
      }
    }
    const env = EventEnvelopeSchema.safeParse(value);
    if (!env.success) throw new ContractError('invalid event envelope', issuesOf(env.error));
    const def = this.byType.get(env.data.type);
    if (!def) throw new ContractError(`unknown event type ${env.data.type}`);
    return this.upcastAndValidate(def, env.data as EventEnvelope);
  }

  /** Upcasts a stored event (already an envelope) and validates its data. */
  upcastAndValidate(def: EventDefinition, env: EventEnvelope): EventEnvelope {
    if (env.schemaVersion > def.version) {
      throw new ContractError(`${def.type} schemaVersion ${env.schemaVersion} is newer than this reader (${def.version})`);
    }
    let data = env.data;
    for (let v = env.schemaVersion; v < def.version; v++) {
      const up = def.upcasters[v];
      if (!up) throw new ContractError(`${def.type}: no upcaster from version ${v}`);
      data = up(data);
    }
    const parsed = def.schema.safeParse(data);
    if (!parsed.success) throw new ContractError(`invalid ${def.type} data`, issuesOf(parsed.error));
    return { ...env, schemaVersion: def.version, data: parsed.data };
  }
}
